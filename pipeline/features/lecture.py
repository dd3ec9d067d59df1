"""Lecture 3's nine texture features for a whole batch at once, in PyTorch (CPU, CUDA or MPS).

Same numbers as the scikit-image reference (``pipeline.features.reference``), by doing the same
arithmetic on whole tensors:

* Grayscale is PIL's fixed-point ITU-R 601-2 luma, ``(19595 R + 38470 G + 7471 B + 2**15) >> 16``.
* LBP samples each neighbour by bilinear interpolation in float64 with scikit-image's exact
  operation order, coordinates rounded to 5 decimals and zeros outside the image; the code is
  "uniform" (number of set bits when the circular pattern has at most two 0/1 changes, else P+1).
  Flat regions make the neighbour equal the centre up to one rounding step, so float32 would flip
  bits there: float64 is what makes the histogram identical.
* GLCM properties come straight from the pixel pairs instead of a 256×256 matrix: contrast,
  dissimilarity and homogeneity are means over pairs, correlation is computed from exact integer
  moments (1 for a flat image, as scikit-image), and energy needs Σ C², the sum over pairs of the
  count of their (unordered) gray-level pair, counted with one scatter-add.
* Gabor filters with scikit-image's own kernel, ``mode="reflect"`` (numpy's "symmetric") padding,
  in float64. scikit-image keeps a uint8 image's dtype, so scipy casts each response back to uint8
  (truncation toward zero, then wrap-around modulo 256), and the notebook's ``(re**2 + im**2)//2``
  also wraps modulo 256: that is reproduced bit for bit, as the lecture's quirk.
* Histograms use ``np.histogram``'s rule: 8 equal bins between the image's own min and max (±0.5
  when flat), edges from ``linspace``, the last bin closed.

Parity measured on real CIFAR-10 images (tests/test_features.py, benchmarks/features.py): the
histogram counts and GLCM sums are identical, so features agree to float64 rounding (≲1e-12
relative), far inside the 1e-4 the project promises.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from skimage.filters import gabor_kernel

from pipeline.features.recipe import LectureRecipe

GRAY_LEVELS = 256


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` RGB → int64 ``(N, H, W)`` luma, bit-identical to PIL's ``convert("L")``."""
    rgb = images.to(torch.int64)
    return (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16


def value_counts(values: torch.Tensor, num_values: int) -> torch.Tensor:
    """Per-image counts of the integer values ``0..num_values-1``: ``(N, ...)`` → ``(N, num_values)``."""
    flat = values.reshape(len(values), -1)
    counts = torch.zeros(len(values), num_values, dtype=torch.int64, device=values.device)
    return counts.scatter_add_(1, flat, torch.ones_like(flat))


def histogram_energy_entropy(counts: torch.Tensor, bins: int) -> torch.Tensor:
    """Energy and entropy of ``np.histogram(values, bins)``, given each image's value counts.

    ``counts[n, v]`` is how often value ``v`` occurs in image ``n``. np.histogram spans each
    image's own [min, max] with ``bins`` equal bins (edges from linspace, last bin closed);
    a value falls into the bin whose left edge is the last one ≤ value. Returns ``(N, 2)`` float64.
    """
    present = counts > 0
    values = torch.arange(counts.shape[1], device=counts.device, dtype=torch.float64)
    low = torch.where(present, values, math.inf).amin(1)
    high = torch.where(present, values, -math.inf).amax(1)
    flat = low == high
    low, high = torch.where(flat, low - 0.5, low), torch.where(flat, high + 0.5, high)
    step = (high - low) / bins
    inner_edges = torch.arange(1, bins, device=counts.device, dtype=torch.float64)
    edges = inner_edges * step[:, None] + low[:, None]  # linspace's arithmetic, bit for bit
    bin_of_value = (values[None, :, None] >= edges[:, None, :]).sum(2)
    hist = torch.zeros(len(counts), bins, dtype=torch.int64, device=counts.device)
    hist.scatter_add_(1, bin_of_value, counts)
    p = hist.to(torch.float64) / hist.sum(1, keepdim=True)
    plogp = torch.where(p > 0, p * torch.log2(p), 0.0)
    return torch.stack([(p * p).sum(1), -plogp.sum(1)], 1)


def lbp_uniform(gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
    """scikit-image's ``local_binary_pattern(g, points, radius, "uniform")`` for ``(N, H, W)``."""
    image = gray.to(torch.float64)
    _, height, width = image.shape
    pad = math.ceil(radius) + 1
    padded = F.pad(image, (pad, pad, pad, pad))  # scikit-image samples zeros outside the image
    angles = 2 * np.pi * np.arange(points, dtype=np.float64) / points
    row_offsets = np.round(-radius * np.sin(angles), 5)
    col_offsets = np.round(radius * np.cos(angles), 5)
    rows, cols = np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64)
    device = image.device

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=device)

    bits = []
    for row_offset, col_offset in zip(row_offsets, col_offsets, strict=True):
        r, c = rows + row_offset, cols + col_offset
        r0, c0 = np.floor(r), np.floor(c)
        dr, dc = tensor(r - r0)[:, None], tensor(c - c0)
        top_rows = padded[:, tensor(r0.astype(np.int64) + pad)]
        bottom_rows = padded[:, tensor(np.ceil(r).astype(np.int64) + pad)]
        left, right = tensor(c0.astype(np.int64) + pad), tensor(np.ceil(c).astype(np.int64) + pad)
        top = (1 - dc) * top_rows[:, :, left] + dc * top_rows[:, :, right]
        bottom = (1 - dc) * bottom_rows[:, :, left] + dc * bottom_rows[:, :, right]
        bits.append((1 - dr) * top + dr * bottom >= image)
    pattern = torch.stack(bits)
    changes = (pattern[1:] != pattern[:-1]).sum(0)
    ones = pattern.sum(0)
    return torch.where(changes <= 2, ones, points + 1)


def _glcm_offset(distance: int, angle_deg: float) -> tuple[int, int]:
    """scikit-image's pixel-pair offset: C ``round`` of (sin θ·d, cos θ·d)."""
    angle = math.radians(angle_deg)

    def c_round(x: float) -> int:
        return int(math.copysign(math.floor(abs(x) + 0.5), x))

    return c_round(math.sin(angle) * distance), c_round(math.cos(angle) * distance)


def glcm_properties(gray: torch.Tensor, distance: int, angle_deg: float) -> torch.Tensor:
    """``graycoprops`` of the symmetric, normed 256-level GLCM: ``(N, 5)`` float64 in GLCM_PROPS order."""
    dy, dx = _glcm_offset(distance, angle_deg)
    _, height, width = gray.shape
    first = gray[:, max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
    second = gray[:, max(0, dy) : height - max(0, -dy), max(0, dx) : width - max(0, -dx)]
    first, second = first.reshape(len(gray), -1), second.reshape(len(gray), -1)
    pairs = first.shape[1]
    diff = (first - second).abs()
    contrast = (diff * diff).sum(1).to(torch.float64) / pairs
    dissimilarity = diff.sum(1).to(torch.float64) / pairs
    homogeneity = (1.0 / (1.0 + diff.to(torch.float64) ** 2)).sum(1) / pairs
    # Symmetric GLCM = both orderings: 2·pairs values, exact integer moments.
    total = 2 * pairs
    s1 = (first + second).sum(1)
    s2 = (first * first + second * second).sum(1)
    s12 = (first * second).sum(1)
    var_numerator = total * s2 - s1 * s1
    cov_numerator = total * 2 * s12 - s1 * s1
    correlation = torch.where(
        var_numerator == 0, 1.0, cov_numerator / var_numerator.clamp(min=1).to(torch.float64)
    )
    energy = torch.sqrt(_sum_squared_glcm(first, second).to(torch.float64)) / total
    return torch.stack([contrast, dissimilarity, homogeneity, energy, correlation], 1)


def _sum_squared_glcm(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Σ C(i, j)² of the symmetric co-occurrence counts C, per image, without building C.

    With n_u the count of the unordered level pair u, C holds n_u twice off the diagonal and 2·n_u
    on it, so Σ C² = Σ_u (2 or 4)·n_u² = Σ over pairs p of (2 or 4)·n_{u(p)}.
    """
    low, high = torch.minimum(first, second), torch.maximum(first, second)
    images = torch.arange(len(first), device=first.device)[:, None]
    keys = (images * GRAY_LEVELS + low) * GRAY_LEVELS + high
    counts = torch.zeros(len(first) * GRAY_LEVELS**2, dtype=torch.int32, device=first.device)
    counts.index_add_(0, keys.flatten(), torch.ones(keys.numel(), dtype=torch.int32, device=first.device))
    weight = torch.where(low == high, 4, 2)
    return (weight * counts[keys]).sum(1)


def gabor_wrapped_energy(gray: torch.Tensor, frequency: float) -> torch.Tensor:
    """The notebook's ``(re**2 + im**2) // 2`` of ``skimage.filters.gabor`` on a uint8 image (0..127)."""
    kernel = gabor_kernel(frequency)  # complex128, odd-sized, centred
    weight = torch.as_tensor(np.stack([kernel.real, kernel.imag])[:, None, ::-1, ::-1].copy())
    half_h, half_w = kernel.shape[0] // 2, kernel.shape[1] // 2
    _, height, width = gray.shape
    rows = torch.as_tensor(np.pad(np.arange(height), half_h, mode="symmetric"), device=gray.device)
    cols = torch.as_tensor(np.pad(np.arange(width), half_w, mode="symmetric"), device=gray.device)
    padded = gray.to(torch.float64)[:, rows][:, :, cols]
    # conv2d correlates; with the flipped kernel that is scipy's convolution
    response = F.conv2d(padded[:, None], weight.to(gray.device))
    wrapped = response.trunc().to(torch.int64) & 0xFF  # scipy's float → uint8 cast
    real, imag = wrapped[:, 0], wrapped[:, 1]
    return ((real * real + imag * imag) & 0xFF) >> 1


def lecture_features(images: torch.Tensor, recipe: LectureRecipe) -> torch.Tensor:
    """The nine lecture features of uint8 ``(N, H, W, 3)`` images: ``(N, 9)`` float64."""
    gray = grayscale(images)
    lbp = lbp_uniform(gray, recipe.lbp_points, recipe.lbp_radius)
    gabor = gabor_wrapped_energy(gray, recipe.gabor_frequency)
    return torch.cat(
        [
            histogram_energy_entropy(value_counts(lbp, recipe.lbp_points + 2), recipe.bins),
            glcm_properties(gray, recipe.glcm_distance, recipe.glcm_angle_deg),
            histogram_energy_entropy(value_counts(gabor, GRAY_LEVELS), recipe.bins),
        ],
        1,
    )
