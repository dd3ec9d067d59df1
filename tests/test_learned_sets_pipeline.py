"""The learned feature sets (textons, and textons beside symmetric scattering) through the real
`dvc repro` (tiny archive, CPU): the state fitted on the training images once, reused for the test and
mirrored images, and carried into the model file."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import pipeline
from pipeline.common.paths import FLIPPED_TRAIN_FILE, MIRROR_FILE, RAW_DIR
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.features import Recipe, extract
from tests.dvc_project import dvc, set_params, stages_run
from tests.helpers import photo_crops

pytestmark = pytest.mark.slow

SMALL = {"features.textons.k": 16, "features.textons.fit_patches": 5000, "features.textons.iterations": 3}
SYMMETRIC = {"features.scattering.symmetric": True}
TEXTON_COLUMNS = 9 * 16  # 3x3 regions of 16 centroids
SCATTERING_COLUMNS = 3888  # the default scattering recipe's


@pytest.mark.parametrize(
    ("feature_set", "extra", "columns"),
    [("textons", {}, TEXTON_COLUMNS), ("combined", SYMMETRIC, TEXTON_COLUMNS + SCATTERING_COLUMNS)],
)
def test_learned_sets_run_through_the_pipeline_and_predict(
    first_run_project: Path, feature_set: str, extra: dict, columns: int
) -> None:
    changes = {"features.set": feature_set, "features.augment": "flip", "train.normalize": "zscore"}
    set_params(first_run_project, **changes, **SMALL, **extra)
    result = dvc(first_run_project, "repro")
    assert stages_run(result) == {"check_params", "features", "train", "evaluate"}
    assert f"{feature_set} fitted on the training images" in result.stdout + result.stderr
    assert "72 train, 4 val rows" in result.stdout + result.stderr  # 36 fit rows and their mirrors
    features_dir = first_run_project / "data/features"
    recipe = Recipe.from_dict(json.loads((features_dir / "recipe.json").read_text()))
    assert recipe.set == feature_set and not recipe.needs_fit
    textons = recipe.settings if feature_set == "textons" else recipe.settings.textons
    assert textons.k == 16 and (feature_set == "textons" or recipe.settings.scattering.symmetric)
    names = json.loads((features_dir / "names.json").read_text())
    train = np.load(features_dir / "train.npy")
    assert train.dtype == np.float16 and train.shape == (40, len(names)) == (40, columns)
    images, _ = load_split(first_run_project / RAW_DIR / BATCH_DIR, "train")
    unfitted = Recipe.from_dict({"set": feature_set, "settings": recipe.settings.model_dump()})
    assert recipe == unfitted.fitted(images)
    mirrored = extract(np.ascontiguousarray(images[:, :, ::-1]), recipe)  # not computed by the stage:
    assert not (first_run_project / FLIPPED_TRAIN_FILE).exists()  # the mirrors permute the columns
    mirror = np.load(first_run_project / MIRROR_FILE)
    np.testing.assert_array_equal(mirror, recipe.feature_set.mirror(recipe.settings))
    np.testing.assert_allclose(train[:, mirror], mirrored, rtol=1e-3, atol=1e-4)  # float16: one step

    model = pipeline.load_model(first_run_project / "models/model.pt")
    assert model.recipe == recipe
    new_image = photo_crops(7, seed=11)[6]
    assert model.predict(new_image)[0] in model.classes
    np.testing.assert_array_equal(model.saved.mirror, mirror)  # trained on mirrors: predicts from both
    both = [
        model.saved.model(torch.from_numpy(model.features(x))).softmax(1)
        for x in (new_image, new_image[:, ::-1])
    ]
    np.testing.assert_allclose(
        model.predict_proba(new_image), ((both[0] + both[1]) / 2).detach().numpy(), atol=1e-3
    )
    metrics = json.loads((first_run_project / "dvclive/evaluate/metrics.json").read_text())
    assert 0 <= metrics["test"]["accuracy"] <= 1

    before = (features_dir / "train.npy").read_bytes(), (features_dir / "recipe.json").read_bytes()
    assert stages_run(dvc(first_run_project, "repro", "--single-item", "--force", "features")) == {"features"}
    assert ((features_dir / "train.npy").read_bytes(), (features_dir / "recipe.json").read_bytes()) == before
