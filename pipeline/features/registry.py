"""What a feature set is to the rest of the code: column names, a batched and a reference implementation."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pipeline.features.kernels import Kernels


@dataclass(frozen=True)
class FeatureSet:
    """One feature set; ``settings`` is its section of the features params. A learned set (``fit``)
    computes its state from the training images once; its ``batched`` and ``reference`` then take that
    state (which holds the settings) instead of the settings."""

    names: Callable[[Any], tuple[str, ...]]
    batched: Callable[[torch.Tensor, Any, Kernels], torch.Tensor]  # uint8 (N, H, W, 3) → (N, F) float
    reference: Callable[[np.ndarray, Any], np.ndarray] | None  # one uint8 (H, W, 3) image, plain code
    dtype: type = np.float64  # of the stored arrays; float64 ones are computed in float64 (not on MPS),
    # the others in float32
    fit: Callable[[np.ndarray, Any], Any] | None = None  # training images, settings → state
    load_state: Callable[[Any, Any], Any] | None = None  # state.to_dict(), settings → state
    # settings → column permutation m with features(mirrored images) = features(images)[:, m], or
    # None where these settings have none
    mirror: Callable[[Any], np.ndarray | None] | None = None
