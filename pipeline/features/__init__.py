"""Texture features for batches of CIFAR-10 images.

``extract`` is the one entry point for both feature sets (``lecture``: lecture 3's nine;
``extended``: multi-scale texture and colour): the fast batched PyTorch implementation by
default, or the per-image scikit-image reference (``backend="skimage"``) it is tested against.
"""

import sys

import numpy as np
import torch
from tqdm import tqdm

from pipeline.devices import resolve_device
from pipeline.features import extended, lecture, reference
from pipeline.features.recipe import ExtendedRecipe, LectureRecipe

Recipe = LectureRecipe | ExtendedRecipe
FEATURE_SETS = {  # name → (default recipe, batched implementation)
    "lecture": (LectureRecipe(), lecture.lecture_features),
    "extended": (ExtendedRecipe(), extended.extended_features),
}


def feature_names(feature_set: str = "lecture", recipe: Recipe | None = None) -> tuple[str, ...]:
    return (recipe or FEATURE_SETS[feature_set][0]).names()


def extract(
    images: np.ndarray,
    feature_set: str = "lecture",
    device: str = "cpu",
    *,
    recipe: Recipe | None = None,
    backend: str = "torch",
    chunk_size: int = 256,
    progress: bool | None = None,
) -> np.ndarray:
    """``(N, F)`` float64 features of uint8 ``(N, 32, 32, 3)`` RGB images.

    Works through ``chunk_size`` images at a time so memory stays bounded; the progress bar
    shows only on a terminal unless ``progress`` says otherwise.
    """
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {feature_set!r}; choose from {sorted(FEATURE_SETS)}")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    default_recipe, batched = FEATURE_SETS[feature_set]
    recipe = recipe or default_recipe
    if not isinstance(recipe, type(default_recipe)):
        raise ValueError(f"feature set {feature_set!r} takes a {type(default_recipe).__name__}")
    if backend == "skimage":
        return reference.extract(images, recipe)
    torch_device = resolve_device(device, "features.device")
    starts = range(0, len(images), chunk_size)
    show = sys.stderr.isatty() if progress is None else progress
    out = np.empty((len(images), len(recipe.names())), dtype=np.float64)
    with torch.inference_mode():
        for start in tqdm(starts, desc="features", unit="chunk", disable=not show):
            chunk = torch.from_numpy(images[start : start + chunk_size]).to(torch_device)
            out[start : start + len(chunk)] = batched(chunk, recipe).cpu().numpy()
    return out
