"""The per-pixel steps as compiled CPU loops (numba): grayscale, LBP code counts, GLCM pair
statistics, the lecture's wrapped Gabor energy counts, and the scattering transform's filtering and
modulus.

On the CPU, whole-tensor PyTorch (``kernels.tensor``) makes dozens of passes over every chunk, each
bound by memory traffic. These loops do the same per-pixel float64 and integer arithmetic in one
pass per image that stays in cache (2–9× faster per step on one core; docs/performance.md). They
release the GIL, so ``extract``'s one-chunk-per-core threads run them in parallel.

``cache=True`` keeps the machine code in ``__pycache__`` (ignored by git and DVC): only the first
run in a new checkout pays the compilation (7–8 s on a 2-core machine). numba does not check
bounds: the inputs' ranges are the callers' contract (gray levels 0..255, offsets inside the
padding), and the tests run each loop's ``py_func``, which does, at the params' limits.
"""

import math

import numba
import numpy as np
import torch

from pipeline.features.kernels.base import LUMA_WEIGHTS, lbp_offsets


@numba.njit(nogil=True, cache=True)
def luma(images: np.ndarray) -> np.ndarray:
    """PIL's ``convert("L")`` of uint8 ``(N, H, W, 3)`` RGB: int32 ``(N, H, W)``."""
    n, height, width, _ = images.shape
    red, green, blue = LUMA_WEIGHTS
    gray = np.empty((n, height, width), np.int32)
    for k in range(n):
        for r in range(height):
            pixels, out = images[k, r], gray[k, r]
            for c in range(width):
                weighted = red * np.int32(pixels[c, 0]) + green * np.int32(pixels[c, 1])
                out[c] = (weighted + blue * np.int32(pixels[c, 2]) + 0x8000) >> 16
    return gray


@numba.njit(nogil=True, cache=True)
def lbp_uniform_counts(
    gray: np.ndarray, row_offsets: np.ndarray, col_offsets: np.ndarray, pad: int
) -> np.ndarray:
    """Per-image counts of scikit-image's uniform LBP codes ``0..P+1``: ``(N, H, W)`` → ``(N, P+2)``.

    Each neighbour is scikit-image's bilinear sample, with its operation order: the column
    interpolation ``(1 - dc)·left + dc·right`` (rows of the zero-padded image; once per distinct
    column offset), then the row one.
    """
    n, height, width = gray.shape
    points = len(row_offsets)
    counts = np.zeros((n, points + 2), np.int64)
    padded = np.zeros((height + 2 * pad, width + 2 * pad))
    along_columns = np.empty((points, height + 2 * pad, width))  # all rows: samples read top and top + 1
    shared = np.arange(points)  # the neighbour whose column pass neighbour i reuses (same column offset)
    for i in range(points):
        for j in range(i):
            if col_offsets[j] == col_offsets[i]:
                shared[i] = shared[j]
                break
    left_weight, right_weight = np.empty(width), np.empty(width)
    ones = np.empty((height, width), np.uint8)  # set bits so far
    changes = np.empty((height, width), np.uint8)  # 0/1 changes between consecutive neighbours
    previous = np.empty((height, width), np.uint8)  # the last neighbour's bit
    for k in range(n):
        padded[pad : pad + height, pad : pad + width] = gray[k]
        for i in range(points):
            if shared[i] != i:
                continue
            left = math.floor(col_offsets[i]) + pad  # floor(c + offset) - c, the same for every c
            for c in range(width):
                position = c + col_offsets[i]
                right_weight[c] = position - math.floor(position)
                left_weight[c] = 1 - right_weight[c]
            for r in range(height + 2 * pad):
                source, target = padded[r, left : left + width + 1], along_columns[i, r]
                for c in range(width):
                    target[c] = left_weight[c] * source[c] + right_weight[c] * source[c + 1]
        for i in range(points):
            along = along_columns[shared[i]]
            for r in range(height):
                position = r + row_offsets[i]
                top = math.floor(position)
                dr = position - top
                top += pad
                upper, lower, centre = along[top], along[top + 1], padded[r + pad, pad : pad + width]
                row_ones, row_changes, row_previous = ones[r], changes[r], previous[r]  # row views:
                for c in range(width):  # simpler indexing that LLVM vectorises
                    bit = np.uint8((1 - dr) * upper[c] + dr * lower[c] >= centre[c])
                    if i == 0:
                        row_ones[c] = bit
                        row_changes[c] = 0
                    else:
                        row_ones[c] += bit
                        row_changes[c] += bit ^ row_previous[c]
                    row_previous[c] = bit
        for r in range(height):
            for c in range(width):
                counts[k, np.int64(ones[r, c]) if changes[r, c] <= 2 else points + 1] += 1
    return counts


@numba.njit(nogil=True, cache=True)
def glcm_pair_statistics(gray: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact integer statistics of the pixel pairs ``(y, x)``, ``(y + dy, x + dx)`` of 256-level images.

    Returns ``|a - b|`` counts ``(N, 256)`` and ``(N, 3)`` sums: Σ(a + b), Σ(a² + b²) and Σ C² of the
    symmetric co-occurrence counts C. For Σ C²: raising a count from m to m + 1 adds 2m + 1 to its
    square; an unordered pair {i, j} sits in C twice (i ≠ j) or once, doubled (i = j).
    """
    n, height, width = gray.shape
    diff_counts = np.zeros((n, 256), np.int64)
    sums = np.zeros((n, 3), np.int64)
    pair_counts = np.zeros(256 * 256, np.int64)  # unordered pair {i ≤ j} → count, cleared per image
    rows = range(max(0, -dy), height - max(0, dy))
    first_col, cols = max(0, -dx), width - abs(dx)
    codes = np.empty(len(rows) * cols, np.int64)  # the image's pair codes, to clear the counts
    for k in range(n):
        image, diffs = gray[k], diff_counts[k]
        sum_values, sum_squares, sum_squared_counts, p = 0, 0, 0, 0
        for r in rows:
            firsts = image[r, first_col : first_col + cols]
            seconds = image[r + dy, first_col + dx : first_col + dx + cols]
            for c in range(cols):
                a, b = np.int64(firsts[c]), np.int64(seconds[c])
                diffs[abs(a - b)] += 1
                sum_values += a + b
                sum_squares += a * a + b * b
                code = min(a, b) * 256 + max(a, b)
                count = pair_counts[code]
                sum_squared_counts += (2 * count + 1) * (4 if a == b else 2)
                pair_counts[code] = count + 1
                codes[p] = code
                p += 1
        pair_counts[codes] = 0
        sums[k] = sum_values, sum_squares, sum_squared_counts
    return diff_counts, sums


@numba.njit(nogil=True, cache=True)
def wrapped_energy_counts(real: np.ndarray, imag: np.ndarray) -> np.ndarray:
    """Per-image counts of the notebook's uint8 Gabor energy ``(re² + im²) // 2``: ``(N, 256)``.

    ``re`` and ``im`` are truncated toward zero and wrapped modulo 256 (scipy's cast back to uint8),
    and the uint8 sum of squares wraps modulo 256 too.
    """
    n, height, width = real.shape
    counts = np.zeros((n, 256), np.int64)
    for k in range(n):
        for r in range(height):
            for c in range(width):
                re, im = np.int64(real[k, r, c]) & 0xFF, np.int64(imag[k, r, c]) & 0xFF
                counts[k, ((re * re + im * im) & 0xFF) >> 1] += 1
    return counts


@numba.njit(nogil=True, cache=True)
def periodized_product(spectra: np.ndarray, filters: np.ndarray, out: np.ndarray) -> None:
    """``out[b, l] = Σ_(p, q) block_pq(spectra[b]) · filters[l, p, q]`` for spectra ``(B, k·h, 2·k·w)`` cut
    into ``k × k`` blocks of ``h × 2w``, filters ``(L, k, k, h, 2w)``: one pass over contiguous rows."""
    n = spectra.shape[0]
    wavelets, k, _, height, width = filters.shape
    for b in range(n):
        for wavelet in range(wavelets):
            for p in range(k):
                for q in range(k):
                    for r in range(height):
                        values = spectra[b, p * height + r, q * width : (q + 1) * width]
                        weights, target = filters[wavelet, p, q, r], out[b, wavelet, r]
                        if p == 0 and q == 0:
                            for c in range(width):
                                target[c] = values[c] * weights[c]
                        else:
                            for c in range(width):
                                target[c] += values[c] * weights[c]


@numba.njit(nogil=True, cache=True)
def modulus(pairs: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = sqrt(pairs[2i]² + pairs[2i + 1]²)``, flat float32, one pass (PyTorch makes three)."""
    for i in range(len(out)):
        re, im = pairs[2 * i], pairs[2 * i + 1]
        out[i] = np.sqrt(re * re + im * im)


class CompiledKernels:
    """The ``Kernels`` interface on CPU tensors, through the loops above."""

    name = "compiled"

    def grayscale(self, images: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(luma(images.numpy()))

    def lbp_counts(self, gray: torch.Tensor, points: int, radius: float) -> torch.Tensor:
        return torch.from_numpy(lbp_uniform_counts(gray.numpy(), *lbp_offsets(points, radius)))

    def glcm_pair_statistics(self, gray: torch.Tensor, dy: int, dx: int) -> tuple[torch.Tensor, torch.Tensor]:
        diff_counts, sums = glcm_pair_statistics(gray.numpy(), dy, dx)
        return torch.from_numpy(diff_counts), torch.from_numpy(sums)

    def wrapped_energy_counts(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(wrapped_energy_counts(real.numpy(), imag.numpy()))

    # Outputs are allocated by torch: its 64-byte alignment keeps the FFTs that read them fast.
    def periodized_product(self, spectra: torch.Tensor, filters: torch.Tensor) -> torch.Tensor:
        out = spectra.new_empty(len(spectra), len(filters), *filters.shape[-2:])
        periodized_product(spectra.contiguous().numpy(), filters.numpy(), out.numpy())
        return out

    def modulus(self, pairs: torch.Tensor) -> torch.Tensor:
        out = pairs.new_empty(pairs.shape[:-1])
        modulus(pairs.contiguous().view(-1).numpy(), out.view(-1).numpy())
        return out
