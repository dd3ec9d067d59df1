"""The extended feature set, batched like the lecture set: multi-scale LBP histograms, a GLCM grid, a Gabor
bank, colour moments and a joint colour histogram (``ExtendedRecipe``; 190 numbers with the defaults).

LBP and GLCM reuse the exact lecture kernels. The Gabor bank filters ``gray / 255`` with
scikit-image's kernels and ``mode="reflect"`` padding in float32, as matrix products
(``pipeline.features.gabor``): means and standard deviations of the magnitude agree with
scikit-image to float32 rounding.
"""

import torch

from pipeline.features.gabor import gabor_response
from pipeline.features.lecture import glcm_properties, grayscale, lbp_histogram, value_counts
from pipeline.features.recipe import ExtendedRecipe


def mean_std(values: torch.Tensor, dim: int) -> list[torch.Tensor]:
    """Mean and population standard deviation along ``dim``, in two passes: on the CPU
    ``torch.std_mean``'s one pass was 2.5× slower (it dominated the Gabor bank)."""
    mean = values.mean(dim, keepdim=True)
    return [mean.squeeze(dim), (values - mean).square().mean(dim).sqrt()]


def gabor_magnitude_stats(
    gray: torch.Tensor, frequencies: tuple[float, ...], angles_deg: tuple[float, ...]
) -> torch.Tensor:
    """Mean and std of ``|skimage.filters.gabor(gray / 255, f, θ)|`` per image: ``(N, 2·F·A)``."""
    intensity = gray.to(torch.float32) / 255
    stats = []
    for frequency in frequencies:
        for angle in angles_deg:
            real, imag = gabor_response(intensity, frequency, angle)
            stats += mean_std(torch.hypot(real, imag).reshape(len(real), -1), 1)
    return torch.stack(stats, 1).to(torch.float64)


def extended_features(images: torch.Tensor, recipe: ExtendedRecipe) -> torch.Tensor:
    """The extended set of uint8 ``(N, H, W, 3)`` images: ``(N, len(recipe.names()))`` float64."""
    gray = grayscale(images)
    pixels = gray[0].numel()
    parts = []
    if "lbp" in recipe.groups:
        for points, radius in recipe.lbp_scales:
            parts.append(lbp_histogram(gray, points, radius).to(torch.float64) / pixels)
    if "glcm" in recipe.groups:
        parts += [glcm_properties(gray, d, a) for d in recipe.glcm_distances for a in recipe.glcm_angles_deg]
    if "gabor" in recipe.groups:
        parts.append(gabor_magnitude_stats(gray, recipe.gabor_frequencies, recipe.gabor_orientations_deg))
    if "color" in recipe.groups:
        rgb = images.to(torch.float64).reshape(len(images), -1, 3) / 255
        parts.append(torch.stack(mean_std(rgb, 1), 2).flatten(1))
    if "palette" in recipe.groups:
        levels = recipe.palette_levels
        r, g, b = ((images[..., i].to(torch.int32) * levels) >> 8 for i in range(3))  # ⌊v·levels/256⌋
        parts.append(value_counts((r * levels + g) * levels + b, levels**3).to(torch.float64) / pixels)
    return torch.cat(parts, 1)
