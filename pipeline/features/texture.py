"""The batched texture toolkit both feature sets build on: histograms' energy and entropy, GLCM
properties and the lecture's Gabor energy, for whole batches on any device.

The per-pixel steps come from a ``Kernels`` implementation (``pipeline.features.kernels``); what is
here is the shared arithmetic on their exact integer results.
"""

import math

import torch
import torch.nn.functional as F

from pipeline.features.gabor import gabor_response
from pipeline.features.kernels import GRAY_LEVELS, Kernels

GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation")


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


def glcm_offset(distance: int, angle_deg: float) -> tuple[int, int]:
    """scikit-image's pixel-pair offset: C ``round`` of (sin θ·d, cos θ·d)."""
    angle = math.radians(angle_deg)

    def c_round(x: float) -> int:
        return int(math.copysign(math.floor(abs(x) + 0.5), x))

    return c_round(math.sin(angle) * distance), c_round(math.cos(angle) * distance)


def glcm_properties(gray: torch.Tensor, distance: int, angle_deg: float, kernels: Kernels) -> torch.Tensor:
    """``graycoprops`` of the symmetric, normed 256-level GLCM: ``(N, 5)`` float64 in GLCM_PROPS order."""
    diff_counts, sums = kernels.glcm_pair_statistics(gray, *glcm_offset(distance, angle_deg))
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


def gabor_energy_counts(gray: torch.Tensor, frequency: float, kernels: Kernels) -> torch.Tensor:
    """Per-image counts ``(N, 256)`` of the notebook's uint8 Gabor energy of ``gray`` (its values 0..127):
    the float64 filtering is shared, the wrapping and counting is the kernels' per-pixel step."""
    real, imag = gabor_response(gray.to(torch.float64), frequency)
    return kernels.wrapped_energy_counts(real, imag)
