"""Gabor filtering of a batch of small images as two matrix products per kernel.

``skimage.filters.gabor`` convolves with ``mode="reflect"`` (numpy's "symmetric" padding: the
edge pixel repeats). A Gabor kernel, an isotropic Gaussian times a plane wave, is the outer
product of a complex column and a complex row, so for an ``H×W`` image the filtered image is
``C @ X @ Rᵀ``: ``C`` (``H×H``) and ``R`` (``W×W``) are the 1-D correlations with the padding
folded in. On 32×32 images that turns the filter into dense GEMMs, which run near the machine's
peak on CPU and GPU, where shifted multiply-adds were bound by memory traffic (a 35-tap kernel
at frequency 0.1 cost 35 passes over the batch per axis).
"""

from collections.abc import Sequence

import numpy as np
import torch
from skimage.filters import gabor_kernel


def separable_factors(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) with ``outer(column, row) == kernel`` for a Gabor kernel (odd-sized, centred).

    The centre value, the Gaussian's real positive peak, is split evenly between the two.
    """
    height, width = kernel.shape
    scale = np.sqrt(kernel[height // 2, width // 2])
    column, row = kernel[:, width // 2] / scale, kernel[height // 2] / scale
    assert np.allclose(np.outer(column, row), kernel, rtol=1e-9, atol=1e-15), "kernel not separable"
    return column, row


def reflect_correlation_matrix(weights: np.ndarray, length: int) -> np.ndarray:
    """``M`` with ``M @ x`` = the centred 1-D correlation of ``x`` with ``weights``, symmetric padding."""
    half = len(weights) // 2
    source = np.pad(np.arange(length), half, mode="symmetric")  # padded position → pixel index
    matrix = np.zeros((length, length), dtype=weights.dtype)
    for k, weight in enumerate(weights):
        np.add.at(matrix, (np.arange(length), source[k : k + length]), weight)
    return matrix


def gabor_responses(
    images: torch.Tensor, filters: Sequence[tuple[float, float]]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Real and imaginary parts of ``skimage.filters.gabor(image, frequency, θ)`` per filter.

    ``images`` is ``(N, H, W)`` float (float64 for bit-level parity, float32 for speed), ``filters``
    lists (frequency, θ in degrees); returns two ``(N, len(filters), H, W)`` tensors of that dtype.
    """
    _, height, width = images.shape
    columns, rows = [], []
    for frequency, angle in filters:
        kernel = gabor_kernel(frequency, theta=np.deg2rad(angle))[::-1, ::-1]  # convolve = flipped correlate
        column, row = separable_factors(kernel)
        columns.append(reflect_correlation_matrix(column, height))
        rows.append(reflect_correlation_matrix(row, width))
    n, (re_c, im_c), (re_r, im_r) = len(filters), _parts(columns), _parts(rows)
    # Rows first, every filter in one GEMM: X @ [Re R₁ᵀ … Re Rₙᵀ  Im R₁ᵀ … Im Rₙᵀ].
    row_bank = np.concatenate([re_r, im_r]).transpose(2, 0, 1).reshape(width, 2 * n * width)
    partial = images @ _tensor(row_bank, images)  # (N, H, [re|im] · n · W)
    # Then columns: per filter one GEMM over all images, the complex product as a real block matrix.
    partial = partial.reshape(-1, height, 2, n, width).permute(3, 2, 1, 0, 4).reshape(n, 2 * height, -1)
    blocks = np.concatenate([np.concatenate([re_c, -im_c], 2), np.concatenate([im_c, re_c], 2)], 1)
    response = (_tensor(blocks, images) @ partial).reshape(n, 2, height, -1, width)
    return response[:, 0].permute(2, 0, 1, 3), response[:, 1].permute(2, 0, 1, 3)


def _parts(matrices: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    stacked = np.array(matrices)
    return stacked.real, stacked.imag


def _tensor(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array), dtype=like.dtype, device=like.device)
