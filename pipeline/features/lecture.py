"""Lecture 3's nine texture features for a whole batch at once (CPU, CUDA or MPS).

Same numbers as the scikit-image reference (``pipeline.features.reference``), by doing the same
arithmetic on whole tensors. On the CPU the per-pixel steps (grayscale, LBP codes, GLCM pair
statistics, Gabor energy counts) run as compiled loops with the same arithmetic instead
(``cpu_kernels``, several times faster there); the tests check that both give identical results.

* Grayscale is PIL's fixed-point ITU-R 601-2 luma, ``(19595 R + 38470 G + 7471 B + 2**15) >> 16``.
* LBP samples each neighbour by bilinear interpolation in float64 with scikit-image's exact
  operation order, coordinates rounded to 5 decimals and zeros outside the image; the code is
  "uniform" (number of set bits when the circular pattern has at most two 0/1 changes, else P+1).
  Flat regions make the neighbour equal the centre up to one rounding step, so float32 would flip
  bits there: float64 is what makes the histogram identical.
* GLCM properties come straight from the pixel pairs instead of a 256×256 matrix: contrast,
  dissimilarity and homogeneity are means over pairs, correlation is computed from exact integer
  moments (1 for a flat image, as scikit-image), and energy needs Σ C², counted exactly from
  each image's sorted pair codes (or, on the CPU, from running counts).
* Gabor filters with scikit-image's own kernel and ``mode="reflect"`` padding, in float64, as two
  matrix products (``pipeline.features.gabor``). scikit-image keeps a uint8 image's dtype, so
  scipy casts each response back to uint8 (truncation toward zero, then wrap-around modulo 256),
  and the notebook's ``(re**2 + im**2)//2`` also wraps modulo 256: that is reproduced, as the
  lecture's quirk. The one way the two could ever differ: a response whose exact value is a
  whole number, summed in a different order than scipy's, may land a rounding step below it and
  truncate one lower. The common case, an imaginary response that is exactly 0 in a flat region,
  is safe (±a rounding step truncates to 0); no other case occurred in the CIFAR-10 images checked.
* Histograms use ``np.histogram``'s rule: 8 equal bins between the image's own min and max (±0.5
  when flat), edges from ``linspace``, the last bin closed.

Parity is tested on real photographs (tests/test_features.py) and measured on real CIFAR-10
images by benchmarks/features.py: the histogram counts and GLCM sums are identical, so the
features agree to float64 rounding (≲1e-14 relative), far inside the promised 1e-4.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.features import cpu_kernels
from pipeline.features.gabor import gabor_response
from pipeline.features.recipe import LectureRecipe

GRAY_LEVELS = 256
LUMA_WEIGHTS = cpu_kernels.LUMA_WEIGHTS


def compiled_loops_for(tensor: torch.Tensor) -> bool:
    """Whether ``tensor``'s per-pixel steps run as the compiled CPU loops (``cpu_kernels``) rather
    than whole-tensor PyTorch: on the CPU, where they are several times faster."""
    return tensor.device.type == "cpu"


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` RGB → int32 ``(N, H, W)`` luma, bit-identical to PIL's ``convert("L")``.

    On the CPU a compiled loop (``cpu_kernels``); elsewhere ``tensor_grayscale``.
    """
    if compiled_loops_for(images):
        return torch.from_numpy(cpu_kernels.luma(images.numpy()))
    return tensor_grayscale(images)


def tensor_grayscale(images: torch.Tensor) -> torch.Tensor:
    """``grayscale`` in whole-tensor PyTorch, for any device."""
    r, g, b = (images[..., i].to(torch.int32) for i in range(3))
    return (r * LUMA_WEIGHTS[0] + g * LUMA_WEIGHTS[1] + b * LUMA_WEIGHTS[2] + 0x8000) >> 16


def value_counts(values: torch.Tensor, num_values: int) -> torch.Tensor:
    """Per-image counts of the integer values ``0..num_values-1``: ``(N, ...)`` → ``(N, num_values)``."""
    images = torch.arange(len(values), device=values.device, dtype=torch.int32)[:, None]
    keys = values.reshape(len(values), -1) + images * num_values  # one bincount for all images (int32)
    return torch.bincount(keys.flatten(), minlength=len(values) * num_values).reshape(-1, num_values)


def histogram_energy_entropy(counts: torch.Tensor, bins: int) -> torch.Tensor:
    """Energy and entropy of ``np.histogram(values, bins)``, given each image's value counts.

    ``counts[n, v]`` is how often value ``v`` occurs in image ``n``. np.histogram spans each
    image's own [min, max] with ``bins`` equal bins (edges from linspace, last bin closed);
    a value falls into the bin whose left edge is the last one ≤ value, so each bin's count is a
    difference of the cumulative counts at its edges. Returns ``(N, 2)`` float64.
    """
    cumulative = counts.to(torch.int64).cumsum(1)  # cumulative[n, v]: values ≤ v
    total = cumulative[:, -1:]
    low = (cumulative == 0).sum(1).to(torch.float64)  # the smallest value present
    high = (counts.shape[1] - (cumulative == total).sum(1)).to(torch.float64)  # the largest
    flat = low == high
    low, high = torch.where(flat, low - 0.5, low), torch.where(flat, high + 0.5, high)
    step = (high - low) / bins
    inner_edges = torch.arange(1, bins, device=counts.device, dtype=torch.float64)
    edges = inner_edges * step[:, None] + low[:, None]  # linspace's arithmetic, bit for bit
    # A whole number v lies below an edge e exactly when v < ceil(e): count those per edge.
    below = F.pad(cumulative, (1, 0)).gather(1, edges.ceil().to(torch.int64))
    hist = torch.diff(torch.cat([below, total], 1), dim=1, prepend=torch.zeros_like(total))
    p = hist.to(torch.float64) / hist.sum(1, keepdim=True)
    plogp = torch.where(p > 0, p * torch.log2(p), 0.0)
    return torch.stack([(p * p).sum(1), -plogp.sum(1)], 1)


def _interpolate(image: torch.Tensor, offset: float, axis: int, length: int, pad: int) -> torch.Tensor:
    """Linear interpolation at ``index + offset`` along ``axis`` of a padded image, for every index.

    ``(1 - d) * low + d * high`` in float64, scikit-image's exact expression. ``d`` is computed
    per index as ``(i + offset) - floor(i + offset)`` (float rounding makes it vary slightly).
    """
    positions = np.arange(length, dtype=np.float64) + offset
    first = int(np.floor(positions[0])) + pad  # floor(i + offset) - i is the same for every i
    low = image.narrow(axis, first, length)
    fraction = positions - np.floor(positions)
    if not fraction.any():
        return low
    d = torch.as_tensor(fraction, device=image.device).reshape([-1] + [1] * (image.dim() - 1 - axis))
    return low * (1 - d) + image.narrow(axis, first + 1, length) * d


def lbp_offsets(points: int, radius: float) -> tuple[np.ndarray, np.ndarray, int]:
    """scikit-image's neighbour offsets (rows, columns; rounded to 5 decimals) and the zero padding
    that keeps every bilinear sample inside the padded image."""
    angles = 2 * np.pi * np.arange(points, dtype=np.float64) / points
    return np.round(-radius * np.sin(angles), 5), np.round(radius * np.cos(angles), 5), math.ceil(radius) + 1


def lbp_uniform(gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
    """scikit-image's ``local_binary_pattern(g, points, radius, "uniform")`` for ``(N, H, W)``.

    Each neighbour is a bilinear sample: first along columns (shared by the neighbours with the
    same column offset, over all padded rows), then along rows, which is the same arithmetic as
    scikit-image's per-pixel ``bilinear_interpolation``.
    """
    image = gray.to(torch.float64)
    _, height, width = image.shape
    row_offsets, col_offsets, pad = lbp_offsets(points, radius)
    padded = F.pad(image, (pad, pad, pad, pad))  # scikit-image samples zeros outside the image
    along_columns = {c: _interpolate(padded, c, 2, width, pad) for c in np.unique(col_offsets)}
    ones = torch.zeros(image.shape, dtype=torch.uint8, device=image.device)
    changes = torch.zeros_like(ones)
    previous = None
    for row_offset, col_offset in zip(row_offsets, col_offsets, strict=True):
        bit = _interpolate(along_columns[col_offset], row_offset, 1, height, pad) >= image
        ones += bit
        if previous is not None:
            changes += bit != previous
        previous = bit
    return ones.masked_fill_(changes > 2, points + 1)


def lbp_histogram(gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
    """Per-image counts of the uniform LBP codes ``0..P+1``: ``(N, H, W)`` → ``(N, P+2)`` int64.

    On the CPU a compiled loop (``cpu_kernels``) does it in one pass; elsewhere ``lbp_uniform``.
    """
    if compiled_loops_for(gray):
        return torch.from_numpy(cpu_kernels.lbp_uniform_counts(gray.numpy(), *lbp_offsets(points, radius)))
    return value_counts(lbp_uniform(gray, points, radius), points + 2).to(torch.int64)


def _glcm_offset(distance: int, angle_deg: float) -> tuple[int, int]:
    """scikit-image's pixel-pair offset: C ``round`` of (sin θ·d, cos θ·d)."""
    angle = math.radians(angle_deg)

    def c_round(x: float) -> int:
        return int(math.copysign(math.floor(abs(x) + 0.5), x))

    return c_round(math.sin(angle) * distance), c_round(math.cos(angle) * distance)


def _pair_views(image: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two pixels of every pair ``(y, x)``, ``(y + dy, x + dx)`` inside ``(N, H, W)`` images."""
    _, height, width = image.shape
    first = image[:, max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
    second = image[:, max(0, dy) : height - max(0, -dy), max(0, dx) : width - max(0, -dx)]
    return first, second


def glcm_properties(gray: torch.Tensor, distance: int, angle_deg: float) -> torch.Tensor:
    """``graycoprops`` of the symmetric, normed 256-level GLCM: ``(N, 5)`` float64 in GLCM_PROPS order."""
    dy, dx = _glcm_offset(distance, angle_deg)
    diff_counts, sums = glcm_pair_statistics(gray, dy, dx)
    # Whole numbers below 2**53, so float64 holds them (and the numerators below) exactly.
    diff_counts, (s1, s2, sum_squared_counts) = diff_counts.to(torch.float64), sums.to(torch.float64).T
    pairs = diff_counts[0].sum()
    # Contrast, dissimilarity, homogeneity: weighted sums over the |i - j| histogram.
    d = torch.arange(GRAY_LEVELS, dtype=torch.float64, device=gray.device)
    contrast, dissimilarity, homogeneity = (
        diff_counts @ torch.stack([d * d, d, 1 / (1 + d * d)], 1) / pairs
    ).T
    # Correlation from exact moments of the 2·pairs values of the symmetric matrix.
    total = 2 * pairs
    s12 = (s2 - diff_counts @ (d * d)) / 2  # Σab = (Σa² + Σb² - Σ(a-b)²) / 2
    var_numerator = total * s2 - s1 * s1
    cov_numerator = total * 2 * s12 - s1 * s1
    correlation = torch.where(var_numerator == 0, 1.0, cov_numerator / var_numerator)
    energy = torch.sqrt(sum_squared_counts) / total
    return torch.stack([contrast, dissimilarity, homogeneity, energy, correlation], 1)


def glcm_pair_statistics(gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact statistics of the pixel pairs ``(y, x)``, ``(y + dy, x + dx)``, int64: the ``|a - b|``
    counts ``(N, 256)`` and the sums Σ(a + b), Σ(a² + b²), Σ C² of the symmetric GLCM C ``(N, 3)``.

    On the CPU a compiled loop (``cpu_kernels``); elsewhere ``tensor_glcm_pair_statistics``.
    """
    if compiled_loops_for(gray):
        diff_counts, sums = cpu_kernels.glcm_pair_statistics(gray.numpy(), dy, dx)
        return torch.from_numpy(diff_counts), torch.from_numpy(sums)
    return tensor_glcm_pair_statistics(gray, dy, dx)


def tensor_glcm_pair_statistics(gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``glcm_pair_statistics`` in whole-tensor PyTorch, for any device."""
    first, second = _pair_views(gray, dy, dx)
    a, b = first.to(torch.int64), second.to(torch.int64)
    sums = [(a + b).sum((1, 2)), (a * a + b * b).sum((1, 2)), _sum_squared_glcm(first, second)]
    return value_counts((first - second).abs(), GRAY_LEVELS).to(torch.int64), torch.stack(sums, 1)


def _sum_squared_glcm(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Σ C(i, j)² of the symmetric co-occurrence counts C, per image, without building C.

    With n_u the count of the unordered level pair u, C holds n_u twice off the diagonal and 2·n_u
    on it, so Σ C² = Σ_u (2 or 4)·n_u². In each image's sorted pair codes, the k-th element
    (0-based) of a run contributes 2k + 1, and those add up to n_u² per run.
    """
    low, high = torch.minimum(first, second), torch.maximum(first, second)
    codes = ((low << 8) | high).reshape(len(first), -1).sort(1).values  # 256 levels: low, high in bytes
    position = torch.arange(codes.shape[1], device=codes.device, dtype=codes.dtype).expand_as(codes)
    run_starts = torch.ones_like(codes, dtype=torch.bool)
    run_starts[:, 1:] = codes[:, 1:] != codes[:, :-1]
    run_start = torch.cummax(position * run_starts, 1).values
    weight = ((codes >> 8) == (codes & 0xFF)) + 1  # 2 on the diagonal, else 1
    return 2 * ((2 * (position - run_start) + 1) * weight).sum(1, dtype=torch.int64)


def gabor_wrapped_energy(gray: torch.Tensor, frequency: float) -> torch.Tensor:
    """The notebook's ``(re**2 + im**2) // 2`` of ``skimage.filters.gabor`` on a uint8 image (0..127)."""
    real, imag = (
        part.trunc().to(torch.int32) & 0xFF  # scipy's cast back to uint8
        for part in gabor_response(gray.to(torch.float64), frequency)
    )
    return ((real * real + imag * imag) & 0xFF) >> 1


def gabor_energy_histogram(gray: torch.Tensor, frequency: float) -> torch.Tensor:
    """Per-image counts of ``gabor_wrapped_energy``'s values ``0..255``: ``(N, 256)`` int64.

    The filtering is the same matrix products everywhere; on the CPU a compiled loop
    (``cpu_kernels``) does the wrapping and counting in one pass.
    """
    if compiled_loops_for(gray):
        real, imag = gabor_response(gray.to(torch.float64), frequency)
        return torch.from_numpy(cpu_kernels.wrapped_energy_counts(real.numpy(), imag.numpy()))
    return value_counts(gabor_wrapped_energy(gray, frequency), GRAY_LEVELS).to(torch.int64)


def lecture_features(images: torch.Tensor, recipe: LectureRecipe) -> torch.Tensor:
    """The nine lecture features of uint8 ``(N, H, W, 3)`` images: ``(N, 9)`` float64."""
    gray = grayscale(images)
    lbp = lbp_histogram(gray, recipe.lbp_points, recipe.lbp_radius)
    gabor = gabor_energy_histogram(gray, recipe.gabor_frequency)
    return torch.cat(
        [
            histogram_energy_entropy(lbp, recipe.bins),
            glcm_properties(gray, recipe.glcm_distance, recipe.glcm_angle_deg),
            histogram_energy_entropy(gabor, recipe.bins),
        ],
        1,
    )
