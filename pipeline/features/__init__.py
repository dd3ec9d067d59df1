"""Texture features for batches of CIFAR-10 images.

``extract(images, recipe)`` is the one entry point for every feature set (``lecture``: lecture 3's
nine; ``extended``: multi-scale texture and colour). A :class:`Recipe` names the set and its
settings; ``Recipe.default("extended")`` gives the defaults of params.yaml.
"""

from pipeline.features.extraction import extract
from pipeline.features.recipe import FEATURE_SETS, Recipe

__all__ = ["FEATURE_SETS", "Recipe", "extract"]
