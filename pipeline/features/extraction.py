"""``extract``: the features of a whole array of images, in bounded chunks, on any device."""

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Literal

import numpy as np
import torch
from tqdm import tqdm

from pipeline.common.devices import resolve_device
from pipeline.features.kernels import Kernels, kernels_for
from pipeline.features.recipe import Recipe


def extract(
    images: np.ndarray,
    recipe: Recipe | None = None,
    *,
    device: str = "cpu",
    implementation: Literal["batched", "reference"] = "batched",
    chunk_size: int = 256,
    progress: bool | None = None,
    kernels: Kernels | None = None,
) -> np.ndarray:
    """``(N, F)`` features of uint8 ``(N, H, W, 3)`` RGB images (``recipe``: the lecture set with its
    defaults when not given), in the set's ``dtype``: float64, float32 (scattering) or float16 (textons).

    ``batched`` works through ``chunk_size`` images at a time (on the CPU one chunk per core) so
    memory stays bounded; ``reference`` is the per-image scikit-image code it is tested against. The
    progress bar shows only on a terminal unless ``progress`` says otherwise. ``kernels`` overrides
    the device's choice of compute path (the tests run both on the CPU).
    """
    recipe = recipe or Recipe.default()
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    feature_set = recipe.feature_set
    if recipe.needs_fit:
        raise ValueError(f"feature set {recipe.set!r} is learned: extract with recipe.fitted(train_images)")
    if implementation == "reference":
        if feature_set.reference is None:
            raise ValueError(f"feature set {recipe.set!r} has no reference implementation; use batched")
        rows = [feature_set.reference(image, recipe.inputs) for image in images]
        return np.stack(rows).astype(feature_set.dtype, copy=False)
    torch_device = feature_device(device, recipe)
    kernels = kernels or kernels_for(torch_device)
    starts = range(0, len(images), chunk_size)
    show = sys.stderr.isatty() if progress is None else progress
    out = np.empty((len(images), len(recipe.names())), dtype=feature_set.dtype)

    def features_of(start: int) -> np.ndarray:
        with torch.inference_mode():  # per thread
            chunk = torch.from_numpy(images[start : start + chunk_size]).to(torch_device)
            return feature_set.batched(chunk, recipe.inputs, kernels).cpu().numpy()

    # On the CPU one chunk per core, each op single-threaded: splitting every small op across
    # cores cost more in synchronisation than it saved (extended set ~20% faster on 2 cores).
    on_cpu = torch_device.type == "cpu"
    workers = torch.get_num_threads() if on_cpu else 1
    with intra_op_threads(1 if on_cpu else torch.get_num_threads()), ThreadPoolExecutor(workers) as pool:
        results = tqdm(
            pool.map(features_of, starts), total=len(starts), desc="features", unit="chunk", disable=not show
        )
        for start, features in zip(starts, results, strict=True):
            out[start : start + len(features)] = features
    return out


def feature_device(name: str, recipe: Recipe) -> torch.device:
    """The device for ``compute.features.device`` = ``name``: never MPS for a set computed in float64."""
    float64 = f"the {recipe.set} feature set" if recipe.feature_set.dtype == np.float64 else None
    return resolve_device(name, "compute.features.device", float64=float64)


@contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """Set torch's intra-op thread count for a block, then restore it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
