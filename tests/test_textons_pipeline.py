"""The textons feature set through the real `dvc repro` (tiny archive, CPU): the dictionary fitted on
the training images once, reused for the test and mirrored images, and carried into the model file."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import pipeline
from pipeline.common.paths import FLIPPED_TRAIN_FILE, MIRROR_FILE, RAW_DIR
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.features import Recipe, extract
from pipeline.features.textons import textons_mirror
from tests.dvc_project import dvc, set_params, stages_run
from tests.helpers import photo_crops

pytestmark = pytest.mark.slow

SMALL = {"features.textons.k": 16, "features.textons.fit_patches": 5000, "features.textons.iterations": 3}


def test_textons_run_through_the_pipeline_and_predict(first_run_project: Path) -> None:
    changes = {"features.set": "textons", "features.augment": "flip", "train.normalize": "zscore", **SMALL}
    set_params(first_run_project, **changes)
    result = dvc(first_run_project, "repro")
    assert stages_run(result) == {"check_params", "features", "train", "evaluate"}
    assert "textons fitted on the training images" in result.stdout + result.stderr
    assert "72 train, 4 val rows" in result.stdout + result.stderr  # 36 fit rows and their mirrors
    features_dir = first_run_project / "data/features"
    recipe = Recipe.from_dict(json.loads((features_dir / "recipe.json").read_text()))
    assert recipe.set == "textons" and recipe.settings.k == 16 and not recipe.needs_fit
    names = json.loads((features_dir / "names.json").read_text())
    train = np.load(features_dir / "train.npy")
    assert train.dtype == np.float16 and train.shape == (40, len(names)) == (40, 9 * 16)
    images, _ = load_split(first_run_project / RAW_DIR / BATCH_DIR, "train")
    assert recipe == Recipe.from_dict({"set": "textons", "settings": recipe.settings.model_dump()}).fitted(
        images
    )
    mirrored = extract(np.ascontiguousarray(images[:, :, ::-1]), recipe)  # not computed by the stage:
    assert not (first_run_project / FLIPPED_TRAIN_FILE).exists()  # the mirrors permute the columns
    mirror = np.load(first_run_project / MIRROR_FILE)
    np.testing.assert_array_equal(mirror, textons_mirror(recipe.settings))
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
