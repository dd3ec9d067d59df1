"""Textons: a dictionary of image patches learned from the training images, after Coates, Lee & Ng
(AISTATS 2011) and Coates & Ng (ICML 2011).

Every ``patch × patch`` RGB patch (``stride`` apart) is brightness- and contrast-normalised (its mean
removed, divided by ``sqrt(variance + 10)`` on the 0..255 scale), ZCA-whitened, and compared with ``k``
unit-norm centroids ``c`` found by spherical k-means on patches of the training images (the gain-shape
"OMP-1" dictionary). An image is described by its soft-thresholded responses ``max(0, c·x − α)`` and
(``signs: both``) ``max(0, −c·x − α)``, averaged over ``grid × grid`` regions.

The dictionary is learned state: :func:`fit_dictionary` computes it once, from the training images
only, and the recipe carries it (recipe.json, the model file), so test images, mirrored images and
``predict`` see the same textons. The fit runs in NumPy with a seeded generator (same images and
settings → byte-identical arrays); the encoding is three matrix products in PyTorch, on any device.
"""

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.features.kernels import Kernels
from pipeline.features.params import TextonsParams
from pipeline.features.registry import FeatureSet

NORM_EPS = 10.0  # added to each patch's variance (0..255 pixels): flat patches are not blown up
# Responses per encoding step on the CPU (8 images × 729 patches × 800 textons, 19 MB): under glibc's
# mmap threshold, so steps reuse heap memory. Steps four times as large mapped fresh pages every time
# and the page faults cost more than the products (1,024 images: 10.3 → 4.3 CPU seconds).
CPU_STEP_RESPONSES = 8 * 729 * 800
FIT_BLOCK = 65536  # patches per k-means assignment block: bounds the (block × k) responses (200 MB)
SIGNS = {"both": ("pos", "neg"), "positive": ("pos",)}


@dataclass(frozen=True, eq=False)
class Dictionary:
    """The fitted state: the settings it was fitted with, the normalised patches' ``mean`` ``(d,)``,
    the ZCA ``whitening`` ``(d, d)`` (symmetric) and unit-norm ``centroids`` ``(k, d)``, float32, with
    ``d = 3 · patch²`` in the patch layout (channel, row, column)."""

    settings: TextonsParams
    mean: np.ndarray
    whitening: np.ndarray
    centroids: np.ndarray

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Dictionary)
            and self.settings == other.settings
            and all(np.array_equal(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)[1:])
        )

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists (JSON, ``torch.load(weights_only=True)``): each float32 exactly as a float."""
        return {f.name: getattr(self, f.name).ravel().tolist() for f in fields(self)[1:]}

    @classmethod
    def from_dict(cls, data: Any, settings: TextonsParams) -> "Dictionary":
        """The inverse of :meth:`to_dict`; a ``ValueError`` names what does not fit ``settings``
        (each list's length is checked before any array is made)."""
        d = 3 * settings.patch**2
        shapes = {"mean": (d,), "whitening": (d, d), "centroids": (settings.k, d)}
        if not isinstance(data, dict) or set(data) != set(shapes):
            raise ValueError(f"a textons state has exactly the keys {sorted(shapes)}")
        arrays = {}
        for name, shape in shapes.items():
            values = data[name]
            if not isinstance(values, list) or len(values) != math.prod(shape):
                raise ValueError(f"textons state {name!r}: expected {math.prod(shape)} numbers for {shape}")
            if not all(isinstance(v, float | int) and not isinstance(v, bool) for v in values):
                raise ValueError(f"textons state {name!r} holds something other than numbers")
            array = np.asarray(values, dtype=np.float32).reshape(shape)
            if not np.isfinite(array).all():
                raise ValueError(f"textons state {name!r} holds non-finite numbers")
            arrays[name] = array
        half = settings.k // 2
        if not np.array_equal(
            arrays["centroids"][half:], arrays["centroids"][:half, _flipped_pixels(settings.patch)]
        ):
            raise ValueError("textons state: the second half of the centroids is not the mirror of the first")
        return cls(settings, **arrays)


def fit_dictionary(images: np.ndarray, params: TextonsParams) -> Dictionary:
    """Whitening and centroids from ``fit_patches`` random patches of uint8 ``(N, H, W, 3)`` images
    (the training images: never the test set).

    The dictionary is mirror-symmetric: the mean and covariance are those of the patches together with
    their left-right mirrors, and k-means finds ``k / 2`` centroids whose mirrors are the other half.
    A mirrored image's features are then a permutation of the image's (:func:`textons_mirror`), so
    mirrored training rows cost no features stage of their own.
    """
    _positions(images.shape[1], images.shape[2], params)  # fail early on a patch/grid that cannot fit
    rng = np.random.default_rng(params.seed)
    windows = np.lib.stride_tricks.sliding_window_view(images, (params.patch, params.patch), axis=(1, 2))
    rows, cols = (range(0, side - params.patch + 1, params.stride) for side in images.shape[1:3])
    n = params.fit_patches
    which = rng.integers(0, len(images), n)
    ys = np.asarray(rows)[rng.integers(0, len(rows), n)]
    xs = np.asarray(cols)[rng.integers(0, len(cols), n)]
    patches = _normalised(windows[which, ys, xs].reshape(n, -1).astype(np.float64))  # (n, 3, p, p) → (n, d)
    flip = _flipped_pixels(params.patch)
    mean = (patches.mean(0) + patches.mean(0)[flip]) / 2
    patches -= mean
    covariance = patches.T @ patches / n
    eigenvalues, vectors = np.linalg.eigh((covariance + covariance[np.ix_(flip, flip)]) / 2)
    whitening = (vectors / np.sqrt(np.maximum(eigenvalues, 0) + params.whiten_eps)) @ vectors.T
    whitening = (whitening + whitening.T) / 2  # exactly symmetric, as the mirror argument needs
    white = (patches @ whitening).astype(np.float32)
    del patches
    half = params.k // 2
    centroids = _unit(white[rng.choice(n, half, replace=False)].astype(np.float64)).astype(np.float32)
    for _ in range(params.iterations):
        centroids = _kmeans_step(white, centroids, rng).astype(np.float32)
    centroids = np.concatenate([centroids, centroids[:, flip]])
    return Dictionary(params, mean.astype(np.float32), whitening.astype(np.float32), centroids)


def _flipped_pixels(patch: int) -> np.ndarray:
    """The index permutation that mirrors a flattened (channel, row, column) patch left to right."""
    return np.arange(3 * patch * patch).reshape(3, patch, patch)[:, :, ::-1].ravel()


def textons_mirror(params: TextonsParams) -> np.ndarray:
    """Column permutation ``m`` with ``features(mirrored images) == features(images)[:, m]``: each
    region swaps with its mirror across the vertical axis, each centroid with its mirror (``k / 2``
    places on). Exact because the whitening commutes with mirroring and the regions are symmetric."""
    signs, grid, k = len(SIGNS[params.signs]), params.grid, params.k
    index = np.arange(signs * grid * grid * k).reshape(signs, grid, grid, k)
    return index[:, :, ::-1].take(np.arange(k) - k // 2, axis=3).ravel()


def _kmeans_step(white: np.ndarray, centroids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One spherical k-means step: each patch goes to the centroid of its largest ``|c·x|``, each
    centroid becomes the unit-norm sum of its patches weighted by ``c·x``; an empty one restarts at a
    random patch."""
    sums = np.zeros(centroids.shape, dtype=np.float64)
    for start in range(0, len(white), FIT_BLOCK):
        block = white[start : start + FIT_BLOCK]
        responses = block @ centroids.T
        labels = np.abs(responses).argmax(1)
        weighted = block * responses[np.arange(len(block)), labels][:, None]
        for j in range(sums.shape[1]):  # a bincount per dimension: in order, ~7x faster than np.add.at
            sums[:, j] += np.bincount(labels, weighted[:, j], minlength=len(sums))
    empty = ~sums.any(1)
    sums[empty] = white[rng.choice(len(white), int(empty.sum()), replace=False)]
    return _unit(sums)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _normalised(patches: np.ndarray) -> np.ndarray:
    """Each row minus its mean, over ``sqrt(variance + NORM_EPS)``."""
    centred = patches - patches.mean(-1, keepdims=True)
    return centred / np.sqrt((centred**2).mean(-1, keepdims=True) + NORM_EPS)


def _positions(height: int, width: int, params: TextonsParams) -> tuple[int, int]:
    """Patch positions per column and per row; a ``ValueError`` when the patch or grid cannot fit."""
    if min(height, width) < params.patch:
        raise ValueError(f"patch {params.patch} exceeds the image size {height}×{width}")
    counts = ((height - params.patch) // params.stride + 1, (width - params.patch) // params.stride + 1)
    if min(counts) < params.grid:
        raise ValueError(f"grid {params.grid} has more regions per side than the {counts} patch positions")
    if (width - params.patch) % params.stride:
        raise ValueError(
            f"stride {params.stride} must divide {width} − patch {params.patch}, so that a mirrored image's "
            "patches are the mirrors of the image's"
        )
    return counts


def _regions(count: int, grid: int) -> list[np.ndarray]:
    """Patch-position indices of each of ``grid`` regions along one side: ``[⌊r·n/g⌋, ⌈(r+1)·n/g⌉)``,
    so neighbours share the middle position when ``grid`` does not divide ``count``, and the regions
    are their own mirror image (region ``r`` mirrors to ``grid − 1 − r``)."""
    return [np.arange(r * count // grid, -(-(r + 1) * count // grid)) for r in range(grid)]


def textons_features(images: torch.Tensor, state: Dictionary, kernels: Kernels | None = None) -> torch.Tensor:
    """``(N, F)`` float32 features of uint8 ``(N, H, W, 3)`` RGB images, columns as :func:`textons_names`.

    Whitening and the dictionary are folded into one matrix, ``A = C·W`` with offset ``A·mean``, so
    each step is: unfold the patches, normalise them, one product with ``Aᵀ``, threshold, and a product
    with the region-averaging matrix. ``kernels`` is unused (no per-pixel loops here).
    """
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {tuple(images.shape)}")
    params = state.settings
    device = images.device
    encoder, offset, pooling = _encoder(state, images.shape[1], images.shape[2], device)
    signs = len(SIGNS[params.signs])
    out = torch.empty(len(images), signs, pooling.shape[0], params.k, device=device)
    cpu_step = max(CPU_STEP_RESPONSES // (pooling.shape[1] * params.k), 1)  # images
    step = cpu_step if device.type == "cpu" else max(len(images), 1)
    for start in range(0, len(images), step):
        x = images[start : start + step].permute(0, 3, 1, 2).to(torch.float32)
        patches = F.unfold(x, params.patch, stride=params.stride).transpose(1, 2)  # (B, L, d)
        patches = patches - patches.mean(-1, keepdim=True)
        patches = patches / (patches.square().mean(-1, keepdim=True) + NORM_EPS).sqrt()
        responses = patches @ encoder - offset  # (B, L, k)
        out[start : start + step, 0] = pooling @ (responses - params.alpha).relu_()
        if signs == 2:
            out[start : start + step, 1] = pooling @ (-params.alpha - responses).relu_()
    return out.flatten(1)


def _encoder(state: Dictionary, height: int, width: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """``Aᵀ`` ``(d, k)``, the offset ``A·mean`` ``(k,)`` and the averaging matrix ``(grid², L)``."""
    params = state.settings
    counts = _positions(height, width, params)
    folded = state.centroids.astype(np.float64) @ state.whitening.astype(np.float64)  # (k, d)
    pooling = np.zeros((params.grid**2, counts[0] * counts[1]))
    positions = np.arange(counts[0] * counts[1]).reshape(counts)
    for r, rows in enumerate(_regions(counts[0], params.grid)):
        for c, cols in enumerate(_regions(counts[1], params.grid)):
            region = positions[np.ix_(rows, cols)].ravel()
            pooling[r * params.grid + c, region] = 1 / len(region)
    arrays = (folded.T, folded @ state.mean.astype(np.float64), pooling)
    return tuple(torch.as_tensor(a, dtype=torch.float32, device=device).contiguous() for a in arrays)


def textons_reference(image: np.ndarray, state: Dictionary) -> np.ndarray:
    """One uint8 ``(H, W, 3)`` image, step by step in float64 NumPy (what :func:`textons_features` is
    tested against): each patch cut out, normalised, whitened, compared with the centroids,
    thresholded, and each region's responses averaged."""
    params = state.settings
    p, s = params.patch, params.stride
    counts = _positions(image.shape[0], image.shape[1], params)
    grid = [
        [image[y * s : y * s + p, x * s : x * s + p].transpose(2, 0, 1).ravel() for x in range(counts[1])]
        for y in range(counts[0])
    ]
    patches = _normalised(np.asarray(grid, dtype=np.float64))  # (rows, cols, d)
    white = (patches - state.mean) @ state.whitening.astype(np.float64)
    responses = white @ state.centroids.astype(np.float64).T  # (rows, cols, k)
    maps = [np.maximum(responses - params.alpha, 0)]
    if params.signs == "both":
        maps.append(np.maximum(-responses - params.alpha, 0))
    return np.concatenate(
        [
            response[np.ix_(rows, cols)].mean((0, 1))
            for response in maps
            for rows in _regions(counts[0], params.grid)
            for cols in _regions(counts[1], params.grid)
        ]
    )


def textons_names(params: TextonsParams) -> tuple[str, ...]:
    """One name per column of :func:`textons_features`, e.g. ``texton_neg_r1_c0_k17``."""
    return tuple(
        f"texton_{sign}_r{r}_c{c}_k{j}"
        for sign in SIGNS[params.signs]
        for r in range(params.grid)
        for c in range(params.grid)
        for j in range(params.k)
    )


FEATURE_SET = FeatureSet(
    textons_names,
    textons_features,
    textons_reference,
    np.float16,  # computed in float32; stored rounded (half the disk, no accuracy lost: docs/results.md)
    fit=fit_dictionary,
    load_state=Dictionary.from_dict,
    mirror=textons_mirror,
)
