"""Stage ``features``: texture features of every train and test image, saved as .npy arrays."""

import json
import logging
import time

import numpy as np

from pipeline.atomic import atomic_path
from pipeline.cifar import BATCH_DIR, load_split
from pipeline.devices import resolve_device
from pipeline.features import extract
from pipeline.features.recipe import ExtendedRecipe, LectureRecipe
from pipeline.params import FeatureParams, load_params
from pipeline.paths import FEATURES_DIR, RAW_DIR, split_file
from pipeline.stage import run_stage

log = logging.getLogger("stages.features")


def recipe_from(params: FeatureParams) -> LectureRecipe | ExtendedRecipe:
    """The recipe of the chosen feature set, from its section of params.yaml."""
    if params.set == "lecture":
        return LectureRecipe(
            lbp_points=params.lbp.points,
            lbp_radius=params.lbp.radius,
            glcm_distance=params.glcm.distance,
            glcm_angle_deg=params.glcm.angle,
            gabor_frequency=params.gabor.frequency,
            bins=params.bins,
        )
    ext = params.extended
    return ExtendedRecipe(
        lbp_scales=tuple((scale.points, scale.radius) for scale in ext.lbp),
        glcm_distances=tuple(ext.glcm_distances),
        glcm_angles_deg=tuple(ext.glcm_angles),
        gabor_frequencies=tuple(ext.gabor_frequencies),
        gabor_orientations_deg=tuple(ext.gabor_orientations),
        palette_levels=ext.palette_levels,
        groups=tuple(ext.groups),
    )


def main() -> None:
    params = load_params().features
    device = str(resolve_device(params.device, "features.device"))  # fail before any work
    recipe = recipe_from(params)
    for split in ("train", "test"):
        images, _ = load_split(RAW_DIR / BATCH_DIR, split)
        started = time.perf_counter()
        features = extract(
            images,
            params.set,
            device,
            recipe=recipe,
            backend=params.backend,
            chunk_size=params.chunk_size,
        )
        log.info("%s: %d images in %.2f s", split, len(images), time.perf_counter() - started)
        with atomic_path(split_file(FEATURES_DIR, split)) as tmp:
            np.save(tmp, features)
    with atomic_path(FEATURES_DIR / "names.json") as tmp:
        tmp.write_text(json.dumps(list(recipe.names()), indent=1) + "\n")


if __name__ == "__main__":
    run_stage(main)
