"""The extended feature set, batched in PyTorch: multi-scale LBP histograms, a GLCM grid, a Gabor
bank and colour moments (``ExtendedRecipe``; 126 numbers with the defaults).

LBP and GLCM reuse the exact lecture kernels. The Gabor bank filters ``gray / 255`` with
scikit-image's kernels and ``mode="reflect"`` padding, in float32: every kernel (an isotropic
Gaussian times a plane wave) is the outer product of a complex column and a complex row, so each
frequency is one vertical and one grouped horizontal convolution instead of a 2-D one. Means and
standard deviations of the magnitude agree with scikit-image to float32 rounding.
"""

import numpy as np
import torch
import torch.nn.functional as F
from skimage.filters import gabor_kernel

from pipeline.features.lecture import (
    glcm_properties,
    grayscale,
    lbp_uniform,
    separable_factors,
    symmetric_pad,
    value_counts,
)
from pipeline.features.recipe import ExtendedRecipe


def _centre_pad(kernel: np.ndarray, height: int, width: int) -> np.ndarray:
    top, left = (height - kernel.shape[0]) // 2, (width - kernel.shape[1]) // 2
    out = np.zeros((height, width), kernel.dtype)
    out[top : top + kernel.shape[0], left : left + kernel.shape[1]] = kernel
    return out


def _separable_bank(frequency: float, angles_deg: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Complex (column, row) factors of each orientation's flipped kernel, zero-padded to one size."""
    kernels = [gabor_kernel(frequency, theta=np.deg2rad(a))[::-1, ::-1] for a in angles_deg]
    height, width = max(k.shape[0] for k in kernels), max(k.shape[1] for k in kernels)
    columns, rows = [], []
    for kernel in kernels:
        column, row = separable_factors(_centre_pad(kernel, height, width))
        columns.append(column)
        rows.append(row)
    return np.array(columns), np.array(rows)


def gabor_magnitude_stats(
    gray: torch.Tensor, frequencies: tuple[float, ...], angles_deg: tuple[float, ...]
) -> torch.Tensor:
    """Mean and std of ``|skimage.filters.gabor(gray / 255, f, θ)|`` per image: ``(N, 2·F·A)``."""
    intensity = (gray.to(torch.float32) / 255)[:, None]
    stats = []
    for frequency in frequencies:
        columns, rows = _separable_bank(frequency, angles_deg)
        n = len(angles_deg)
        vertical = np.concatenate([columns.real, columns.imag])  # channels: re of each angle, then im
        horizontal = np.empty((2 * n, 2, 1, rows.shape[1]))
        for a, row in enumerate(rows):  # (re, im) of angle a from (V_re, V_im): a complex multiply
            horizontal[2 * a, :, 0] = row.real, -row.imag
            horizontal[2 * a + 1, :, 0] = row.imag, row.real
        order = [i for a in range(n) for i in (a, n + a)]  # interleave (V_re, V_im) per angle
        padded = symmetric_pad(intensity[:, 0], columns.shape[1] // 2, rows.shape[1] // 2)[:, None]
        v = F.conv2d(
            padded, torch.as_tensor(vertical, dtype=torch.float32, device=gray.device)[:, None, :, None]
        )
        response = F.conv2d(
            v[:, order], torch.as_tensor(horizontal, dtype=torch.float32, device=gray.device), groups=n
        )
        magnitude = torch.sqrt(response[:, 0::2] ** 2 + response[:, 1::2] ** 2)
        stats.append(torch.stack([magnitude.mean((2, 3)), magnitude.std((2, 3), correction=0)], 2).flatten(1))
    return torch.cat(stats, 1).to(torch.float64)


def extended_features(images: torch.Tensor, recipe: ExtendedRecipe) -> torch.Tensor:
    """The extended set of uint8 ``(N, H, W, 3)`` images: ``(N, len(recipe.names()))`` float64."""
    gray = grayscale(images)
    pixels = gray[0].numel()
    parts = []
    if "lbp" in recipe.groups:
        for points, radius in recipe.lbp_scales:
            parts.append(
                value_counts(lbp_uniform(gray, points, radius), points + 2).to(torch.float64) / pixels
            )
    if "glcm" in recipe.groups:
        parts += [glcm_properties(gray, d, a) for d in recipe.glcm_distances for a in recipe.glcm_angles_deg]
    if "gabor" in recipe.groups:
        parts.append(gabor_magnitude_stats(gray, recipe.gabor_frequencies, recipe.gabor_orientations_deg))
    if "color" in recipe.groups:
        rgb = images.to(torch.float64) / 255
        parts.append(torch.stack([rgb.mean((1, 2)), rgb.std((1, 2), correction=0)], 2).flatten(1))
    return torch.cat(parts, 1)
