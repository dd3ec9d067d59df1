"""Batched 2-D wavelet scattering transform (Mallat), coefficient for coefficient Kymatio 0.3.0's
``Scattering2D``, for texture features.

Why our own: Kymatio filters one path at a time and round-trips every low-pass through the FFT; here the
whole chunk goes through each stage at once, the low-pass ``φ_J`` (a separable Gaussian) and the spatial
pooling are two small matrix products instead of an FFT pair, the work runs in cache-sized steps, and on
the CPU the filtering and modulus are compiled one-pass loops (``Kernels``), leaving the FFTs about two
thirds of the time. Same padding, filters, subsampling and coefficient order as Kymatio, so its output is the
reference the tests compare against.

For an image ``x`` reflect-padded to ``P × Q`` (Kymatio's ``compute_padding``), with Morlet wavelets
``ψ_{j,θ}`` and the Gaussian low-pass ``φ_J``, all circular convolutions on the padded grid:

- order 0: ``x ⋆ φ_J``
- order 1: ``U1 = |x ⋆ ψ_{j1,θ1}|`` sampled every ``2^j1`` pixels, then ``U1 ⋆ φ_J``
- order 2: ``U2 = |U1 ⋆ ψ_{j2,θ2}|`` (``j2 > j1``) sampled every ``2^j2`` pixels, then ``U2 ⋆ φ_J``

each low-pass output sampled every ``2^J`` pixels with its one-sample border cropped (Kymatio's ``unpad``).
"""

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.features.kernels import Kernels, kernels_for
from pipeline.features.params import ScatteringParams
from pipeline.features.registry import FeatureSet

# Signals (image channels) per step on the CPU: larger steps make fewer small ops, whose Python overhead
# holds the GIL while the other cores' chunks wait; beyond ~32 the order-2 products (L² spectra of
# ~200 KB per signal) outgrow the cache. Two cores, 20,480 images: 8 → 1,900, 24 → 2,550, 64 → 2,280,
# 256 → 1,610 images/s. A GPU takes the whole chunk at once.
CPU_STEP = 24
LOG_EPS = 1e-4
CHANNELS = {"rgb": ("r", "g", "b"), "yuv": ("y", "u", "v"), "gray": ("y",)}
# RGB → YUV rows (ITU-R BT.601 luma; U = 0.492 (B − Y), V = 0.877 (R − Y), zero on grays).
LUMA = np.array([0.299, 0.587, 0.114])
YUV = np.stack([LUMA, 0.492 * (np.eye(3)[2] - LUMA), 0.877 * (np.eye(3)[0] - LUMA)])


def scattering(
    x: torch.Tensor, J: int, L: int, order: int, pool: int | None = None, kernels: Kernels | None = None
) -> torch.Tensor:
    """Scattering coefficients of float32 ``(N, C, H, W)`` images: ``(N, C, K, H / 2^J, W / 2^J)``, or
    ``(N, C, K, pool, pool)`` averaged over windows of those maps when ``pool`` is given. ``kernels``
    filters and takes moduli (default: the device's, ``kernels_for``).

    ``K = 1 + J·L`` (order 1) or ``1 + J·L + L²·J(J−1)/2`` (order 2), in Kymatio's order: order 0, order 1
    by ``(j1, θ1)``, order 2 by ``(j1, θ1, j2, θ2)`` with ``j2 > j1``. Memory grows linearly with ``N·C``.
    """
    if x.dtype != torch.float32 or x.ndim != 4:
        raise ValueError(f"expected float32 (N, C, H, W) images, got {x.dtype} {tuple(x.shape)}")
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order}")
    n, c, height, width = x.shape
    bank = _bank(height, width, J, L, order, pool, x.device)
    signals = x.reshape(n * c, height, width)
    paths = 1 + J * L + (L * L * J * (J - 1) // 2 if order == 2 else 0)
    out = x.new_empty(n * c, paths, *bank.positions)
    step = max(CPU_STEP if x.device.type == "cpu" else len(signals), 1)
    kernels = kernels or kernels_for(x.device)
    for start in range(0, len(signals), step):
        _scatter(signals[start : start + step], bank, J, L, order, kernels, out[start : start + step])
    return out.reshape(n, c, *out.shape[1:])


def scattering_features(
    images: torch.Tensor, params: ScatteringParams, kernels: Kernels | None = None
) -> torch.Tensor:
    """``(N, F)`` float32 features of uint8 ``(N, H, W, 3)`` RGB images, columns as :func:`scattering_names`.

    Colour conversion of ``images / 255``, scattering averaged to ``pool × pool`` positions, then
    (``compress: log``) ``log(|S| + LOG_EPS)`` on orders ≥ 1: their energies span decades, which a
    linear model sees better on a log scale; order 0 (local mean colour, signed in YUV) stays linear.
    Flattened as (channel, coefficient, pooled row, pooled column).

    With ``symmetric`` each image's features are averaged with its mirror image's, mapped back by
    :func:`scattering_mirror`. Kymatio's maps are not quite mirror-equivariant (a mirrored image's
    samples fall one pixel beside the image's: about 14% of the z-scored variance apart on CIFAR-10);
    the average is exactly, so mirrored training rows and mirror averaging need no second encoding.
    """
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {tuple(images.shape)}")
    features = _coefficients(images, params, kernels)
    if not params.symmetric:
        return features
    mirrored = _coefficients(images.flip(2), params, kernels)
    return (features + mirrored[:, torch.from_numpy(scattering_mirror(params)).to(images.device)]) / 2


def _coefficients(images: torch.Tensor, params: ScatteringParams, kernels: Kernels | None) -> torch.Tensor:
    rgb = images.permute(0, 3, 1, 2).to(torch.float32) / 255
    if params.color == "rgb":
        channels = rgb
    else:
        matrix = torch.tensor(YUV[: len(CHANNELS[params.color])], dtype=torch.float32, device=images.device)
        channels = torch.einsum("kc,nchw->nkhw", matrix, rgb)
    pooled = scattering(channels.contiguous(), params.J, params.L, params.order, params.pool, kernels)
    if params.compress == "log":
        pooled[:, :, 1:].abs_().add_(LOG_EPS).log_()
    return pooled.flatten(1)


def scattering_mirror(params: ScatteringParams) -> np.ndarray | None:
    """With ``symmetric``, the column permutation ``m`` with ``features(mirrored images) ==
    features(images)[:, m]`` (its own inverse): angle index ``t`` swaps with ``2c − t`` (mod L), the
    angle ``(c − t)·π/L`` (Kymatio's, ``c = int(L/2 − 1)``) with its negative, and pooled columns swap
    with their mirrors. None without ``symmetric``: then no permutation is exact."""
    if not params.symmetric:
        return None
    centre, angles = int(params.L - params.L / 2 - 1), np.arange(params.L)
    mirrored_angle = (2 * centre - angles) % params.L
    paths = [0] + [1 + j * params.L + t for j in range(params.J) for t in mirrored_angle]
    if params.order == 2:
        first = [(j, t) for j in range(params.J) for t in range(params.L)]
        index = {pair: i for i, pair in enumerate((a, b) for a in first for b in first if b[0] > a[0])}
        paths += [
            1 + params.J * params.L + index[(j1, mirrored_angle[t1]), (j2, mirrored_angle[t2])]
            for (j1, t1), (j2, t2) in index
        ]
    columns = np.arange(len(CHANNELS[params.color]) * len(paths) * params.pool**2)
    return columns.reshape(-1, len(paths), params.pool, params.pool)[:, paths, :, ::-1].ravel()


def scattering_names(params: ScatteringParams) -> tuple[str, ...]:
    """One name per column of :func:`scattering_features`, e.g. ``scat_y_o2_j0_t3_j1_t5_p1_2``."""
    paths = [("o0",)]
    scales = [(j, t) for j in range(params.J) for t in range(params.L)]
    paths += [("o1", f"j{j}", f"t{t}") for j, t in scales]
    if params.order == 2:
        paths += [
            ("o2", f"j{j1}", f"t{t1}", f"j{j2}", f"t{t2}")
            for j1, t1 in scales
            for j2, t2 in scales
            if j2 > j1
        ]
    positions = [f"p{row}_{col}" for row in range(params.pool) for col in range(params.pool)]
    return tuple(
        "_".join(("scat", channel, *path, position))
        for channel in CHANNELS[params.color]
        for path in paths
        for position in positions
    )


@dataclass(frozen=True)
class _Wavelets:
    """The ``L`` wavelets of one scale at one resolution, output sampling step ``k``, laid out for
    ``Kernels.periodized_product``: ``psi`` is ``(L, k, k, h, 2w)``, the spectra cut into ``k × k`` blocks
    of the ``h × w`` output grid, each value twice (for a real and an imaginary part), with Kymatio's
    ``1 / k²`` (periodization) and ``1 / (h·w)`` (inverse FFT) folded in."""

    psi: torch.Tensor
    shape: tuple[int, int]  # h, w


@dataclass(frozen=True)
class _Bank:
    """Everything fixed for one image size, ``(J, L, order)`` and pooling, built once per device."""

    pad: tuple[int, int, int, int]  # left, right, top, bottom
    wavelets: dict[tuple[int, int], _Wavelets]  # (scale j, resolution res) → wavelets
    lowpass: list[tuple[torch.Tensor, torch.Tensor]]  # per resolution: row and column matrices
    positions: tuple[int, int]  # output rows and columns


def _scatter(
    x: torch.Tensor, bank: _Bank, J: int, L: int, order: int, kernels: Kernels, out: torch.Tensor
) -> None:
    """Scattering of ``(B, H, W)`` signals into ``out``, ``(B, K, *bank.positions)``."""
    padded = F.pad(x.unsqueeze(1), bank.pad, mode="reflect").squeeze(1)
    out[:, 0] = _lowpass(padded, *bank.lowpass[0])
    spectrum = torch.view_as_real(torch.fft.fft2(padded))
    second = 1 + J * L  # where the next order-2 block starts: (θ1, j2, θ2) for one j1
    for j1 in range(J):
        u1 = _wavelet_modulus(spectrum, bank.wavelets[j1, 0], kernels)  # (B, L, P / 2^j1, Q / 2^j1)
        out[:, 1 + j1 * L : 1 + (j1 + 1) * L] = _lowpass(u1, *bank.lowpass[j1])
        if order == 2 and j1 < J - 1:
            u1_spectrum = torch.view_as_real(torch.fft.fft2(u1))
            block = out[:, second : second + L * (J - 1 - j1) * L].unflatten(1, (L, J - 1 - j1, L))
            for j2 in range(j1 + 1, J):
                u2 = _wavelet_modulus(u1_spectrum, bank.wavelets[j2, j1], kernels)  # (B, L1, L2, ., .)
                block[:, :, j2 - j1 - 1] = _lowpass(u2, *bank.lowpass[j2])
            second += L * (J - 1 - j1) * L


def _wavelet_modulus(spectrum: torch.Tensor, wavelets: _Wavelets, kernels: Kernels) -> torch.Tensor:
    """``|u ⋆ ψ|`` sampled every ``k`` pixels, from ``u``'s spectrum ``(..., P, Q, 2)``: ``(..., L, h, w)``.

    Kymatio multiplies, then periodizes (sums the ``k²`` blocks); here each block is multiplied and
    added in one step, on interleaved floats (torch's complex-times-real runs on (real, imaginary) pairs).
    """
    h, w = wavelets.shape
    leading = spectrum.shape[:-3]
    product = kernels.periodized_product(spectrum.flatten(0, -4).flatten(-2), wavelets.psi)  # (B, L, h, 2w)
    outputs = torch.fft.ifft2(torch.view_as_complex(product.unflatten(-1, (w, 2))), norm="forward")
    return kernels.modulus(torch.view_as_real(outputs)).view(*leading, -1, h, w)


def _lowpass(u: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """``u ⋆ φ_J`` sampled every ``2^(J−res)`` pixels, border cropped (and pooled): ``rows @ u @ colsᵀ``."""
    return rows @ u @ cols.T


@functools.cache
def _bank(
    height: int, width: int, J: int, L: int, order: int, pool: int | None, device: torch.device
) -> _Bank:
    """Padding, wavelets and low-pass matrices for one image size, as Kymatio's ``filter_bank`` builds them.

    Wavelets of scale ``j`` are applied at resolution 0 (order 1) and at ``res = j1 < j`` (order 2).
    Pooling is linear, so it is folded into the low-pass matrices: averaging after sampling costs nothing.
    """
    if min(height, width) < 2**J:
        raise ValueError(f"2^J = {2**J} exceeds the image size {height}×{width}")
    maps = (height // 2**J, width // 2**J)
    if pool is not None and (pool < 1 or maps[0] % pool or maps[1] % pool):
        raise ValueError(f"pool {pool} does not divide the {maps[0]}×{maps[1]} scattering maps")
    pad_h, pad_w = (((size + 2**J) // 2**J + 1) * 2**J - size for size in (height, width))
    if (pad_h + 1) // 2 >= height or (pad_w + 1) // 2 >= width:
        raise ValueError(f"J = {J} needs more padding than a {height}×{width} image can reflect")
    padded = (height + pad_h, width + pad_w)
    to = functools.partial(torch.as_tensor, device=device)
    wavelets = {}
    for j in range(J):
        spectra = np.stack([_morlet_spectrum(*padded, j, theta, L) for theta in range(L)])
        for res in range(max(j, 1) if order == 2 else 1):
            level = _fold(spectra, res)  # (L, P / 2^res, Q / 2^res)
            k = 2 ** (j - res)
            blocks = level.reshape(L, k, level.shape[1] // k, k, level.shape[2] // k).transpose(0, 1, 3, 2, 4)
            psi = np.repeat(blocks, 2, axis=-1) / level[0].size  # (L, k, k, h, 2w)
            wavelets[j, res] = _Wavelets(to(psi, dtype=torch.float32), blocks.shape[-2:])
    pooling = [np.eye(length) if pool is None else _averaging_matrix(length, pool) for length in maps]
    lowpass = [
        tuple(
            to(average @ _lowpass_matrix(size // 2**res, J, res), dtype=torch.float32)
            for average, size in zip(pooling, padded, strict=True)
        )
        for res in range(J)
    ]
    pad = (pad_w // 2, (pad_w + 1) // 2, pad_h // 2, (pad_h + 1) // 2)
    return _Bank(pad, wavelets, lowpass, (len(pooling[0]), len(pooling[1])))


def _gabor(height: int, width: int, sigma: float, theta: float, xi: float, slant: float) -> np.ndarray:
    """Kymatio's ``gabor_2d``: a Gaussian envelope times a plane wave, summed over 5 × 5 periodic tiles."""
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    curvature = rotation @ np.diag([1, slant**2]) @ rotation.T / (2 * sigma**2)
    tiles = np.arange(-2, 3)[:, None]
    rows = (np.arange(height) + height * tiles)[:, :, None, None]  # (5, H, 1, 1)
    cols = (np.arange(width) + width * tiles)[None, None]  # (1, 1, 5, W)
    quadratic = curvature[0, 0] * rows**2 + 2 * curvature[0, 1] * rows * cols + curvature[1, 1] * cols**2
    phase = xi * (rows * np.cos(theta) + cols * np.sin(theta))
    gabor = np.exp(-quadratic + 1j * phase).sum((0, 2))
    return gabor / (2 * 3.1415 * sigma**2 / slant)  # Kymatio's constant: 3.1415


def _morlet_spectrum(height: int, width: int, j: int, theta: int, L: int) -> np.ndarray:
    """Real spectrum of the Morlet wavelet of scale ``j`` and angle index ``theta``, as Kymatio builds it."""
    angle = (int(L - L / 2 - 1) - theta) * np.pi / L
    sigma, xi, slant = 0.8 * 2**j, 3 / 4 * np.pi / 2**j, 4 / L
    wave = _gabor(height, width, sigma, angle, xi, slant)
    envelope = _gabor(height, width, sigma, angle, 0, slant)
    morlet = wave - wave.sum() / envelope.sum() * envelope  # zero mean
    return np.fft.fft2(morlet).real


def _fold(spectrum: np.ndarray, res: int, axes: tuple[int, ...] = (-2, -1)) -> np.ndarray:
    """Kymatio's ``periodize_filter_fft`` along ``axes``: zero the band that would alias, fold ``2^res``×."""
    k = 2**res
    for axis in axes:
        size = spectrum.shape[axis]
        start, length = int(size * 2 ** (-res - 1)), int(size * (1 - 1 / k))
        kept = np.moveaxis(spectrum, axis, -1).copy()
        kept[..., start : start + length] = 0
        spectrum = np.moveaxis(kept.reshape(*kept.shape[:-1], k, size // k).sum(-2), -1, axis)
    return spectrum


def _lowpass_matrix(size: int, J: int, res: int) -> np.ndarray:
    """One axis of ``φ_J`` at resolution ``res`` as a matrix: convolve, sample every ``2^(J−res)``, crop.

    ``φ_J`` is an isotropic Gaussian (σ = 0.8·2^(J−1)): its spectrum is the outer product of two 1-D
    spectra, each zeroed and folded like the 2-D filter. ``size`` is the padded length at ``res``.
    """
    full = size * 2**res
    sigma = 0.8 * 2 ** (J - 1)
    offsets = np.arange(full) + full * np.arange(-2, 3)[:, None]
    gaussian = np.exp(-(offsets**2) / (2 * sigma**2)).sum(0) / np.sqrt(2 * 3.1415 * sigma**2)
    kernel = np.fft.ifft(_fold(np.fft.fft(gaussian).real, res, axes=(-1,))).real
    step = 2 ** (J - res)
    outputs = np.arange(1, size // step - 1) * step  # Kymatio's unpad drops the first and last sample
    return kernel[(outputs[:, None] - np.arange(size)) % size]


def _averaging_matrix(length: int, pool: int) -> np.ndarray:
    """``(pool, length)``: row ``i`` averages the ``i``-th of ``pool`` equal windows."""
    return np.kron(np.eye(pool), np.full(length // pool, pool / length))


# No per-image reference: the tests compare against Kymatio's Scattering2D instead. Stored as float32:
# the transform runs in float32, and float64 would double the arrays (3,888 numbers a row by default).
FEATURE_SET = FeatureSet(
    names=scattering_names,
    batched=scattering_features,
    reference=None,
    dtype=np.float32,
    mirror=scattering_mirror,
)
