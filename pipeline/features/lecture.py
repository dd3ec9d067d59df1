"""Lecture 3's nine texture features for a whole batch at once (CPU, CUDA or MPS).

Same numbers as the scikit-image reference (``pipeline.features.reference``), by doing the same
arithmetic on whole batches. The per-pixel steps (grayscale, LBP codes, GLCM pair statistics,
Gabor energy counts) come from ``pipeline.features.kernels``: compiled loops on the CPU,
whole-tensor PyTorch elsewhere; the tests check that both give identical results.

* Grayscale is PIL's fixed-point ITU-R 601-2 luma, ``(19595 R + 38470 G + 7471 B + 2**15) >> 16``.
* LBP samples each neighbour by bilinear interpolation in float64 with scikit-image's exact
  operation order, coordinates rounded to 5 decimals and zeros outside the image; the code is
  "uniform" (number of set bits when the circular pattern has at most two 0/1 changes, else P+1).
  Flat regions make the neighbour equal the centre up to one rounding step, so float32 would flip
  bits there: float64 is what makes the histogram identical.
* GLCM properties come straight from the pixel pairs instead of a 256×256 matrix: contrast,
  dissimilarity and homogeneity are means over pairs, correlation is computed from exact integer
  moments (1 for a flat image, as scikit-image), and energy needs Σ C², counted exactly from
  each image's sorted pair codes (or, in the compiled loops, from running counts).
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

import torch

from pipeline.features import reference
from pipeline.features.kernels import Kernels
from pipeline.features.params import LectureParams
from pipeline.features.registry import FeatureSet
from pipeline.features.texture import (
    GLCM_PROPS,
    gabor_energy_counts,
    glcm_properties,
    histogram_energy_entropy,
)

NAMES = (
    "lbp_energy",
    "lbp_entropy",
    *(f"glcm_{prop}" for prop in GLCM_PROPS),
    "gabor_energy",
    "gabor_entropy",
)


def batched(images: torch.Tensor, settings: LectureParams, kernels: Kernels) -> torch.Tensor:
    """The nine lecture features of uint8 ``(N, H, W, 3)`` images: ``(N, 9)`` float64."""
    gray = kernels.grayscale(images)
    lbp = kernels.lbp_counts(gray, settings.lbp.points, settings.lbp.radius)
    gabor = gabor_energy_counts(gray, settings.gabor.frequency, kernels)
    return torch.cat(
        [
            histogram_energy_entropy(lbp, settings.bins),
            glcm_properties(gray, settings.glcm.distance, settings.glcm.angle, kernels),
            histogram_energy_entropy(gabor, settings.bins),
        ],
        1,
    )


FEATURE_SET = FeatureSet(names=lambda _: NAMES, batched=batched, reference=reference.lecture_features)
