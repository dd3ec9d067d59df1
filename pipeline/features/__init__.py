"""Texture features for batches of CIFAR-10 images.

``extract`` is the one entry point: the fast batched PyTorch implementation by default, or the
per-image scikit-image reference (``backend="skimage"``) that it is tested against.
"""

import sys

import numpy as np
import torch
from tqdm import tqdm

from pipeline.devices import resolve_device
from pipeline.features import lecture, reference
from pipeline.features.recipe import NAMES, LectureRecipe

FEATURE_SETS = {"lecture": NAMES}


def feature_names(feature_set: str = "lecture") -> tuple[str, ...]:
    return FEATURE_SETS[feature_set]


def extract(
    images: np.ndarray,
    feature_set: str = "lecture",
    device: str = "cpu",
    *,
    recipe: LectureRecipe = LectureRecipe(),
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
    if backend == "skimage":
        return reference.extract(images, recipe)
    torch_device = resolve_device(device, "features.device")
    starts = range(0, len(images), chunk_size)
    show = sys.stderr.isatty() if progress is None else progress
    out = np.empty((len(images), len(FEATURE_SETS[feature_set])), dtype=np.float64)
    with torch.inference_mode():
        for start in tqdm(starts, desc="features", unit="chunk", disable=not show):
            chunk = torch.from_numpy(images[start : start + chunk_size]).to(torch_device)
            out[start : start + len(chunk)] = lecture.lecture_features(chunk, recipe).cpu().numpy()
    return out
