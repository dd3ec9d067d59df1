"""The per-pixel steps in whole-tensor PyTorch: the path for CUDA and MPS (and the CPU when asked).

Same integer and float64 arithmetic as the compiled loops (``kernels.compiled``); the tests check
that both give identical results.
"""

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.features.kernels.base import GRAY_LEVELS, LUMA_WEIGHTS, lbp_offsets


def value_counts(values: torch.Tensor, num_values: int) -> torch.Tensor:
    """Per-image counts of the integer values ``0..num_values-1``: ``(N, ...)`` → ``(N, num_values)``."""
    images = torch.arange(len(values), device=values.device, dtype=torch.int32)[:, None]
    keys = values.reshape(len(values), -1) + images * num_values  # one bincount for all images (int32)
    return torch.bincount(keys.flatten(), minlength=len(values) * num_values).reshape(-1, num_values)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """PIL's fixed-point luma, ``(19595 R + 38470 G + 7471 B + 2**15) >> 16``."""
    r, g, b = (images[..., i].to(torch.int32) for i in range(3))
    return (r * LUMA_WEIGHTS[0] + g * LUMA_WEIGHTS[1] + b * LUMA_WEIGHTS[2] + 0x8000) >> 16


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


def _pair_views(image: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two pixels of every pair ``(y, x)``, ``(y + dy, x + dx)`` inside ``(N, H, W)`` images."""
    _, height, width = image.shape
    first = image[:, max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
    second = image[:, max(0, dy) : height - max(0, -dy), max(0, dx) : width - max(0, -dx)]
    return first, second


def glcm_pair_statistics(gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
    """See ``Kernels.glcm_pair_statistics``."""
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


def wrapped_energy(real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
    """The notebook's uint8 ``(re**2 + im**2) // 2`` of truncated, wrapped responses (0..127)."""
    re, im = (part.trunc().to(torch.int32) & 0xFF for part in (real, imag))  # scipy's cast back to uint8
    return ((re * re + im * im) & 0xFF) >> 1


class TensorKernels:
    """The ``Kernels`` interface for tensors on any device."""

    name = "tensor"

    def grayscale(self, images: torch.Tensor) -> torch.Tensor:
        return grayscale(images)

    def lbp_counts(self, gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
        return value_counts(lbp_uniform(gray, points, radius), points + 2).to(torch.int64)

    def glcm_pair_statistics(self, gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return glcm_pair_statistics(gray, dy, dx)

    def wrapped_energy_counts(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        return value_counts(wrapped_energy(real, imag), GRAY_LEVELS).to(torch.int64)

    def periodized_product(self, spectra: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
        k, height, width = filters.shape[1], filters.shape[3], filters.shape[4]
        blocks = spectra.unflatten(1, (k, height)).unflatten(-1, (k, width)).transpose(2, 3).flatten(1, 2)
        filters = filters.flatten(1, 2)  # blocks (B, k², h, 2w), filters (L, k², h, 2w)
        product = blocks[:, None, 0] * filters[:, 0]
        for block in range(1, k * k):
            product.addcmul_(blocks[:, None, block], filters[:, block])
        return product

    def modulus(self, pairs: torch.Tensor) -> torch.Tensor:
        squares = pairs * pairs  # ``square()`` would dispatch to ``pow``, 5× slower on the CPU
        return (squares[..., 0] + squares[..., 1]).sqrt_()
