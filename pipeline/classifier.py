"""Classify your own images with a trained model file: the model's own feature recipe and scaling,
then the network.

    import pipeline
    model = pipeline.load_model("models/model.pt")
    model.predict(images)        # class names, e.g. ["cat", "ship"]
    model.predict_proba(images)  # (N, 10) probabilities, columns in model.classes order
"""

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from pipeline.common.devices import choose_device
from pipeline.common.errors import PipelineError
from pipeline.data.cifar import CLASSES
from pipeline.features import Recipe, extract
from pipeline.learning import checkpoint

SIZE = 32  # CIFAR-10's side: the features' pixel scales (LBP radius, GLCM distance, Gabor) assume it


@dataclass
class Classifier:
    """A trained model together with the exact features it was trained on."""

    saved: checkpoint.Checkpoint
    recipe: Recipe
    device: str = "cpu"
    classes: tuple[str, ...] = CLASSES

    def features(self, images: Any) -> np.ndarray:
        """The model's features of ``images`` (see :func:`as_cifar_images`), scaled as in training."""
        raw = extract(as_cifar_images(images), self.recipe, device=self.device, progress=False)
        return self.saved.scaler.transform(raw)

    @torch.no_grad()
    def predict_proba(self, images: Any) -> np.ndarray:
        """``(N, 10)`` class probabilities."""
        x = torch.from_numpy(self.features(images))
        return torch.softmax(self.saved.predictor(x), 1).numpy()

    def predict(self, images: Any) -> list[str]:
        """The most probable class name of each image."""
        return [self.classes[i] for i in self.predict_proba(images).argmax(1)]


def load_model(path: str | Path = "models/model.pt", device: str = "cpu") -> Classifier:
    """The model at ``path`` (loaded with ``weights_only=True``), ready to classify images.

    ``device`` is where the features are computed (the network itself is small and runs on the CPU):
    ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``; one this machine lacks is a ``ValueError``.
    """
    saved = checkpoint.load(Path(path), len(CLASSES))
    try:
        recipe = Recipe.from_dict(saved.recipe)
    except ValueError as err:
        raise PipelineError(f"{path}: its feature recipe does not fit this code ({err})") from err
    if recipe.needs_fit:
        raise PipelineError(
            f"{path}: its {recipe.set} recipe lacks the fitted state; retrain with `dvc repro`"
        )
    if list(recipe.names()) != list(saved.feature_names):
        raise PipelineError(
            f"{path} was trained on {len(saved.feature_names)} features that this code's recipe "
            f"({recipe.set}) no longer produces the same way; retrain with `dvc repro`"
        )
    float64 = f"the {recipe.set} feature set" if recipe.feature_set.dtype == np.float64 else None
    try:
        chosen, _ = choose_device(device, "device", float64=float64)
    except PipelineError as err:
        raise ValueError(f"load_model: {err}") from None
    return Classifier(saved, recipe, chosen)


def as_cifar_images(images: Any) -> np.ndarray:
    """uint8 ``(N, 32, 32, 3)`` RGB from what users have at hand.

    Accepts a PIL image, an array, or a list mixing them (each item one image or a batch). An array
    is one image ``(H, W)`` (grayscale), ``(H, W, 3)`` or ``(H, W, 4)`` (alpha dropped), or a batch
    ``(N, H, W[, C])``; channel-first ``(3, H, W)`` and ``(N, 3, H, W)`` (PyTorch's layout) are read
    as such when the last axis is not itself 1, 3 or 4 channels, so a batch of three grayscale images
    is ``(3, H, W, 1)``. Pixels: uint8; uint16 (16-bit PNGs, 0..65535, divided by 257); other
    integers in 0..255; floats in [0, 1]. Other sizes are resized to 32×32 (with a warning): the
    texture features measure pixel-scale structure, so they only mean what they meant in training at
    CIFAR-10's scale.
    """
    if isinstance(images, list | tuple) and any(isinstance(i, Image.Image | np.ndarray) for i in images):
        return np.concatenate([as_cifar_images(image) for image in images])
    if isinstance(images, Image.Image):
        images = _pil_pixels(images)
    array = _to_uint8(np.asarray(images))
    if array.ndim == 3 and array.shape[0] == 3 and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)  # one channel-first image
    if array.ndim == 4 and array.shape[1] == 3 and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(0, 2, 3, 1)  # a channel-first batch
    if array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in (3, 4)):
        array = array[None]  # one image
    if array.ndim == 3:
        array = array[..., None]  # grayscale batch
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4) or 0 in array.shape:
        raise ValueError(
            f"expected images shaped (H, W), (H, W, 3), (3, H, W) or (N, H, W[, C]), got {array.shape}"
        )
    array = np.repeat(array, 3, -1) if array.shape[-1] == 1 else array[..., :3]
    if array.shape[1:3] != (SIZE, SIZE):
        warnings.warn(
            f"resizing {array.shape[2]}×{array.shape[1]} images to {SIZE}×{SIZE}: the features are "
            "pixel-scale texture measures, computed at CIFAR-10's size",
            stacklevel=3,
        )
        array = np.stack([np.asarray(_resized(Image.fromarray(image))) for image in array])
    return np.ascontiguousarray(array)


def _pil_pixels(image: Image.Image) -> np.ndarray:
    """A PIL image's pixels: 16-bit (uint16), 32-bit and float grayscale as they are (``convert("RGB")``
    would clip them at 255), everything else (palette, CMYK, alpha, ...) as RGB."""
    if image.mode in ("L", "RGB", "I", "F") or image.mode.startswith("I;16"):
        return np.array(image)  # a copy: PIL's own buffer is read-only
    return np.array(image.convert("RGB"))


def _resized(image: Image.Image) -> Image.Image:
    return image if image.size == (SIZE, SIZE) else image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind == "f":
        if array.size and not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
            raise ValueError("float images must hold values in [0, 1]; divide 0..255 pixels by 255")
        return np.round(array * 255).astype(np.uint8)
    if array.dtype.kind == "u" and array.dtype.itemsize == 2:  # 16-bit images: 65535 is white
        return np.round(array / 257).astype(np.uint8)
    if array.dtype.kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ValueError(
                f"integer images must hold values in 0..255, got {array.min()}..{array.max()}; "
                "pass 16-bit pixels (0..65535) as uint16"
            )
        return array.astype(np.uint8)
    raise ValueError(f"images must be uint8, another integer type or float in [0, 1], not {array.dtype}")
