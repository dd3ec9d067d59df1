"""The interface both compute paths implement, and the geometry they share."""

import math
from typing import Protocol

import numpy as np
import torch

GRAY_LEVELS = 256
LUMA_WEIGHTS = (19595, 38470, 7471)  # PIL's ITU-R 601-2 luma in 16-bit fixed point


class Kernels(Protocol):
    """The per-pixel steps of the texture features and of the scattering transform; every other step
    is shared PyTorch code."""

    name: str

    def grayscale(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, H, W, 3)`` RGB → int32 ``(N, H, W)`` luma, bit-identical to PIL's ``convert("L")``."""
        ...

    def lbp_counts(self, gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
        """Per-image counts of scikit-image's uniform LBP codes ``0..P+1``: ``(N, P+2)`` int64."""
        ...

    def glcm_pair_statistics(self, gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact statistics of the pixel pairs ``(y, x)``, ``(y + dy, x + dx)``, int64: the ``|a - b|``
        counts ``(N, 256)`` and the sums Σ(a + b), Σ(a² + b²), Σ C² of the symmetric GLCM C ``(N, 3)``."""
        ...

    def wrapped_energy_counts(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        """Per-image counts ``(N, 256)`` of the notebook's uint8 Gabor energy ``(re² + im²) // 2``:
        ``re``, ``im`` truncated toward zero and wrapped modulo 256 (scipy's cast back to uint8),
        and the uint8 sum of squares wrapped modulo 256 too."""
        ...

    def periodized_product(self, spectra: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
        """Spectra times real filters, summed over their ``k × k`` blocks (Kymatio's periodization):
        float32 ``(B, k·h, 2·k·w)`` (interleaved complex) and ``(L, k, k, h, 2w)`` → ``(B, L, h, 2w)``."""
        ...

    def modulus(self, pairs: torch.Tensor) -> torch.Tensor:
        """``sqrt(re² + im²)`` of contiguous float32 ``(..., 2)`` (interleaved complex) → ``(...)``."""
        ...


def lbp_offsets(points: int, radius: float) -> tuple[np.ndarray, np.ndarray, int]:
    """scikit-image's neighbour offsets (rows, columns; rounded to 5 decimals) and the zero padding
    that keeps every bilinear sample inside the padded image."""
    angles = 2 * np.pi * np.arange(points, dtype=np.float64) / points
    return np.round(-radius * np.sin(angles), 5), np.round(radius * np.cos(angles), 5), math.ceil(radius) + 1
