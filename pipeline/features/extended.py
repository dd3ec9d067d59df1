"""The extended feature set: multi-scale LBP histograms, a GLCM grid, a Gabor bank, colour moments and a
joint colour histogram (190 numbers with the defaults), batched like the lecture set.

``GROUPS`` is the one ordered registry of the groups: column names, batched code and the
scikit-image reference all iterate it, so the columns always come in its order (whatever the order
of ``features.extended.groups``). LBP and GLCM reuse the lecture set's exact kernels. The Gabor
bank filters ``gray / 255`` with scikit-image's kernels and ``mode="reflect"`` padding in float32,
as matrix products (``pipeline.features.gabor``): means and standard deviations of the magnitude
agree with scikit-image to float32 rounding.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from pipeline.features import reference
from pipeline.features.gabor import gabor_response
from pipeline.features.kernels import Kernels, value_counts
from pipeline.features.params import ExtendedParams
from pipeline.features.registry import FeatureSet
from pipeline.features.texture import GLCM_PROPS, glcm_properties


@dataclass(frozen=True)
class Group:
    names: Callable[[ExtendedParams], list[str]]
    # (uint8 RGB images, int32 grayscale, settings, kernels) → (N, k) float64
    batched: Callable[[torch.Tensor, torch.Tensor, ExtendedParams, Kernels], torch.Tensor]
    reference: Callable[[np.ndarray, np.ndarray, ExtendedParams], list[float]]


def mean_std(values: torch.Tensor, dim: int) -> list[torch.Tensor]:
    """Mean and population standard deviation along ``dim``, in two passes: on the CPU
    ``torch.std_mean``'s one pass was 2.5× slower (it dominated the Gabor bank)."""
    mean = values.mean(dim, keepdim=True)
    return [mean.squeeze(dim), (values - mean).square().mean(dim).sqrt()]


def _lbp(images: torch.Tensor, gray: torch.Tensor, s: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    pixels = gray[0].numel()
    counts = [kernels.lbp_counts(gray, scale.points, scale.radius) for scale in s.lbp]
    return torch.cat([c.to(torch.float64) / pixels for c in counts], 1)


def _glcm(images: torch.Tensor, gray: torch.Tensor, s: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    grid = [glcm_properties(gray, d, a, kernels) for d in s.glcm_distances for a in s.glcm_angles]
    return torch.cat(grid, 1)


def _gabor(images: torch.Tensor, gray: torch.Tensor, s: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    """Mean and std of ``|skimage.filters.gabor(gray / 255, f, θ)|`` per image: ``(N, 2·F·A)``."""
    intensity = gray.to(torch.float32) / 255
    stats = []
    for frequency in s.gabor_frequencies:
        for angle in s.gabor_orientations:
            real, imag = gabor_response(intensity, frequency, angle)
            stats += mean_std(torch.hypot(real, imag).reshape(len(real), -1), 1)
    return torch.stack(stats, 1).to(torch.float64)


def _color(images: torch.Tensor, gray: torch.Tensor, s: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    rgb = images.to(torch.float64).reshape(len(images), -1, 3) / 255
    return torch.stack(mean_std(rgb, 1), 2).flatten(1)


def _palette(images: torch.Tensor, gray: torch.Tensor, s: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    levels = s.palette_levels
    r, g, b = ((images[..., i].to(torch.int32) * levels) >> 8 for i in range(3))  # ⌊v·levels/256⌋
    return value_counts((r * levels + g) * levels + b, levels**3).to(torch.float64) / gray[0].numel()


GROUPS: dict[str, Group] = {
    "lbp": Group(
        lambda s: [f"lbp_p{x.points}_r{x.radius:g}_code{k}" for x in s.lbp for k in range(x.points + 2)],
        _lbp,
        reference.lbp_histograms,
    ),
    "glcm": Group(
        lambda s: [
            f"glcm_{prop}_d{d}_a{a:g}" for d in s.glcm_distances for a in s.glcm_angles for prop in GLCM_PROPS
        ],
        _glcm,
        reference.glcm_grid,
    ),
    "gabor": Group(
        lambda s: [
            f"gabor_f{f:g}_a{a:g}_{stat}"
            for f in s.gabor_frequencies
            for a in s.gabor_orientations
            for stat in ("mean", "std")
        ],
        _gabor,
        reference.gabor_bank,
    ),
    "color": Group(
        lambda s: [f"color_{c}_{stat}" for c in "rgb" for stat in ("mean", "std")],
        _color,
        reference.color_moments,
    ),
    "palette": Group(
        lambda s: [f"palette_r{r}_g{g}_b{b}" for r, g, b in np.ndindex((s.palette_levels,) * 3)],
        _palette,
        reference.palette,
    ),
}


def _chosen(settings: ExtendedParams) -> list[Group]:
    return [group for name, group in GROUPS.items() if name in settings.groups]


def names(settings: ExtendedParams) -> tuple[str, ...]:
    return tuple(name for group in _chosen(settings) for name in group.names(settings))


def batched(images: torch.Tensor, settings: ExtendedParams, kernels: Kernels) -> torch.Tensor:
    """The extended set of uint8 ``(N, H, W, 3)`` images: ``(N, len(names(settings)))`` float64."""
    gray = kernels.grayscale(images)
    return torch.cat([group.batched(images, gray, settings, kernels) for group in _chosen(settings)], 1)


def one_image(image: np.ndarray, settings: ExtendedParams) -> np.ndarray:
    """The extended set of one uint8 RGB image with scikit-image, in ``names(settings)`` order."""
    gray = reference.grayscale(image)
    return np.array([x for group in _chosen(settings) for x in group.reference(image, gray, settings)])


FEATURE_SET = FeatureSet(names=names, batched=batched, reference=one_image)
