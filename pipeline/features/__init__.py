"""Texture features for batches of CIFAR-10 images.

``extract(images, recipe)`` is the one entry point for every feature set (``lecture``: lecture 3's
nine; ``extended``: multi-scale texture and colour; ``scattering``: wavelet scattering). A
:class:`Recipe` names the set and its settings; ``Recipe.default("extended")`` gives the defaults of
params.yaml. Imported on first use, so that reading the schema (``pipeline.features.params``) does
not load PyTorch and the compiled kernels.
"""

import importlib
from typing import Any

_API = {
    "extract": "pipeline.features.extraction",
    "FEATURE_SETS": "pipeline.features.recipe",
    "Recipe": "pipeline.features.recipe",
}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'pipeline.features' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
