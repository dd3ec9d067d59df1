"""The scattering feature set through the real `dvc repro` (tiny archive, CPU)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.dvc_project import dvc, set_params, stages_run

pytestmark = pytest.mark.slow


def test_scattering_features_run_through_the_pipeline(first_run_project: Path) -> None:
    set_params(first_run_project, **{"features.set": "scattering", "train.normalize": "zscore"})
    assert stages_run(dvc(first_run_project, "repro")) == {"features", "train", "evaluate"}
    features = np.load(first_run_project / "data/features/train.npy")
    names = json.loads((first_run_project / "data/features/names.json").read_text())
    assert features.dtype == np.float32 and features.shape == (40, len(names)) == (40, 3 * 81 * 16)
    assert names[0] == "scat_y_o0_p0_0" and np.isfinite(features).all()
    recipe = json.loads((first_run_project / "data/features/recipe.json").read_text())
    assert recipe == {
        "set": "scattering",
        "settings": {"J": 2, "L": 8, "order": 2, "color": "yuv", "pool": 4, "compress": "log"},
    }
    metrics = json.loads((first_run_project / "dvclive/evaluate/metrics.json").read_text())
    assert 0 <= metrics["test"]["accuracy"] <= 1
