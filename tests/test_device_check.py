"""The device check's CPU mode, as CI runs it, so the script that GPU machines run never rots."""

import subprocess
import sys

import pytest

from tests.helpers import REPO


@pytest.mark.slow
def test_device_check_compares_and_times_every_set_and_training(tmp_path) -> None:
    out = tmp_path / "table.md"
    command = [sys.executable, "benchmarks/device_check.py", "--device", "cpu", "--synthetic", "--skip-tests",
               "--images", "128", "--epochs", "1", "--out", str(out)]  # fmt: skip
    subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    table = out.read_text()
    from pipeline.features import FEATURE_SETS

    for name in FEATURE_SETS:
        assert f"| {name} features, 128 images |" in table
        assert f"| {name} features, 100 images, largest column-relative difference |" in table
    for run in ("lecture-5 preset", "default MLP (lecture set)", "scattering MLP, 1 epochs"):
        assert f"| train: {run} |" in table
    assert "FAILED" not in table and "DIFFERS" not in table
    assert table.count("rerun on cpu identical") == 3
    assert "data: photo crops (synthetic archive)" in table
