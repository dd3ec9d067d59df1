"""The scattering feature set through the real `dvc repro` (tiny archive, CPU)."""

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.common.paths import FLIPPED_TRAIN_FILE, RAW_DIR
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.features import Recipe, extract
from tests.dvc_project import dvc, set_params, stages_run

pytestmark = pytest.mark.slow


def test_scattering_features_run_through_the_pipeline(first_run_project: Path) -> None:
    changes = {"features.set": "scattering", "features.augment": "flip", "train.normalize": "zscore"}
    set_params(first_run_project, **changes)
    result = dvc(first_run_project, "repro")
    assert stages_run(result) == {"check_params", "features", "train", "evaluate"}
    assert "72 train, 4 val rows" in result.stdout + result.stderr  # 36 fit rows and their mirrors
    features = np.load(first_run_project / "data/features/train.npy")
    images, _ = load_split(first_run_project / RAW_DIR / BATCH_DIR, "train")
    np.testing.assert_allclose(
        np.load(first_run_project / FLIPPED_TRAIN_FILE),
        extract(np.ascontiguousarray(images[:, :, ::-1]), Recipe.default("scattering")),
        rtol=1e-6,
        atol=1e-6,
    )
    names = json.loads((first_run_project / "data/features/names.json").read_text())
    assert features.dtype == np.float32 and features.shape == (40, len(names)) == (40, 3 * 81 * 16)
    assert names[0] == "scat_y_o0_p0_0" and np.isfinite(features).all()
    recipe = json.loads((first_run_project / "data/features/recipe.json").read_text())
    assert recipe == {
        "set": "scattering",
        "settings": {
            **{"J": 2, "L": 8, "order": 2, "color": "yuv", "pool": 4, "compress": "log"},
            "symmetric": False,
        },
    }
    metrics = json.loads((first_run_project / "dvclive/evaluate/metrics.json").read_text())
    assert 0 <= metrics["test"]["accuracy"] <= 1
    set_params(first_run_project, **{"features.augment": "none"})
    assert stages_run(dvc(first_run_project, "repro")) == {"check_params", "features", "train", "evaluate"}
    assert not (first_run_project / FLIPPED_TRAIN_FILE).exists()
