"""Stage ``features``: texture features of every train and test image, saved as .npy arrays, with
their column names and the recipe that made them. With ``augment: flip`` also the features of every
training image mirrored left to right, which ``train`` adds to the rows it fits on, never to its
validation rows: computed (``train_flipped.npy``, row for row), or, for a set whose mirrored images'
features are a permutation of the columns (textons, symmetric scattering), that permutation
(``mirror.npy``)."""

import json
import logging
import time

import numpy as np

from pipeline.common.atomic import atomic_path
from pipeline.common.paths import (
    FEATURE_NAMES_FILE,
    FEATURES_DIR,
    FLIPPED_TRAIN_FILE,
    MIRROR_FILE,
    RAW_DIR,
    RECIPE_FILE,
    split_file,
)
from pipeline.common.settings import load_section
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.features import Recipe
from pipeline.features.extraction import extract, feature_device
from pipeline.features.params import ComputeParams, FeatureParams

log = logging.getLogger("stages.features")


def main() -> None:
    params = load_section("features", FeatureParams)
    compute = load_section("compute", ComputeParams).features  # speed and place: not a dependency
    device = str(feature_device(compute.device, Recipe.from_params(params)))  # fail before any work
    train_images, _ = load_split(RAW_DIR / BATCH_DIR, "train")
    started = time.perf_counter()
    recipe = Recipe.from_params(params).fitted(train_images)  # a learned set's state: training images only
    if recipe.state is not None:
        log.info("%s fitted on the training images in %.2f s", recipe.set, time.perf_counter() - started)
    test_images, _ = load_split(RAW_DIR / BATCH_DIR, "test")
    outputs = {split_file(FEATURES_DIR, "train"): train_images, split_file(FEATURES_DIR, "test"): test_images}
    mirror = recipe.feature_set.mirror and recipe.feature_set.mirror(recipe.settings)
    if params.augment == "flip" and mirror is None:
        outputs[FLIPPED_TRAIN_FILE] = np.ascontiguousarray(train_images[:, :, ::-1])
    for path, images in outputs.items():
        started = time.perf_counter()
        features = extract(
            images, recipe, device=device, implementation=params.implementation, chunk_size=compute.chunk_size
        )
        log.info("%s: %d images in %.2f s", path.name, len(images), time.perf_counter() - started)
        with atomic_path(path) as tmp:
            np.save(tmp, features)
    if params.augment == "flip" and mirror is not None:
        with atomic_path(MIRROR_FILE) as tmp:
            np.save(tmp, mirror)
    with atomic_path(FEATURE_NAMES_FILE) as tmp:
        tmp.write_text(json.dumps(list(recipe.names()), indent=1) + "\n")
    with atomic_path(RECIPE_FILE) as tmp:
        tmp.write_text(json.dumps(recipe.to_dict(), indent=1) + "\n")


if __name__ == "__main__":
    run_stage(main)
