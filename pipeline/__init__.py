"""CIFAR-10 texture features and shallow networks: the library behind the DVC stages.

The Python API (imported on first use, so ``import pipeline`` stays instant):

* ``pipeline.extract(images, recipe)`` — feature arrays of uint8 ``(N, 32, 32, 3)`` images;
* ``pipeline.Recipe.default("extended")`` — a feature set with the defaults of params.yaml;
* ``pipeline.load_model("models/model.pt")`` — a trained model whose ``predict(images)`` applies
  the feature recipe and scaling stored with it.
"""

import importlib
from typing import Any

_API = {"extract": "pipeline.features", "Recipe": "pipeline.features", "load_model": "pipeline.classifier"}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), name)
