"""Stage entry points: bad params are one line, and the stages run as DVC would run them."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.learning.dataset import TrainingData
from pipeline.learning.training import validation_split
from tests.helpers import one_line_error, run_stage
from tests.test_faults import write_stage_inputs

REPO = Path(__file__).resolve().parents[1]
DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


BAD_PARAMS = {  # stage → params.yaml with one mistake in what it reads, and the one line expected
    "check_params": (
        {"compute": {"features": {"chunk_size": 0}}},
        "error: params.yaml: compute.features.chunk_size: Input should",
    ),
    "download": ({"data": {"md5": "xyz"}}, "error: params.yaml: data.md5: not an md5"),
    "features": ({"features": {"sett": "lecture"}}, "error: params.yaml: unknown key 'features.sett'"),
    "train": ({"train": {"modle": "mlp"}}, "error: params.yaml: unknown key 'train.modle'"),
}


@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_bad_params_stop_every_stage_with_one_line(tmp_path: Path, stage: str) -> None:
    if stage not in BAD_PARAMS:  # labels and evaluate read no params: they fail on their missing inputs
        result = run_stage(stage, tmp_path, {"train": {"modle": "mlp"}})
        assert result.returncode != 0
        return
    params, message = BAD_PARAMS[stage]
    assert one_line_error(run_stage(stage, tmp_path, params)).startswith(message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_flipped_rows_join_the_fit_rows_only(tmp_path: Path) -> None:
    """``train_flipped.npy`` rows of validation images are NaN here: training on any of them would
    stop with a divergence error, so success shows only the fit rows' mirrors were added."""
    write_stage_inputs(tmp_path, n_train=200)
    train = np.load(tmp_path / "data/features/train.npy")
    _, val_rows = validation_split(len(train), 0.2, seed=0)
    flipped = train + 0.01
    flipped[val_rows] = np.nan
    np.save(tmp_path / "data/features/train_flipped.npy", flipped)
    result = run_stage("train", tmp_path, {"train": {"epochs": 2, "device": "cpu", "val_fraction": 0.2}})
    assert result.returncode == 0, result.stderr
    assert "320 train, 40 val rows" in result.stderr


def test_a_mirror_permutation_gives_the_fit_rows_mirrors(tmp_path: Path) -> None:
    """``mirror.npy`` (a set whose mirrored features permute its columns) doubles the fit rows only."""
    write_stage_inputs(tmp_path, n_train=200)
    columns = np.load(tmp_path / "data/features/train.npy").shape[1]
    np.save(tmp_path / "data/features/mirror.npy", np.arange(columns)[::-1].copy())
    result = run_stage("train", tmp_path, {"train": {"epochs": 2, "device": "cpu", "val_fraction": 0.2}})
    assert result.returncode == 0, result.stderr
    assert "320 train, 40 val rows" in result.stderr


@pytest.mark.parametrize("mirror", [np.zeros(9, dtype=int), np.arange(9.0), np.arange(3)])  # 9 columns
def test_a_mirror_that_is_no_permutation_is_one_line(tmp_path: Path, mirror: np.ndarray) -> None:
    write_stage_inputs(tmp_path, n_train=200)
    np.save(tmp_path / "data/features/mirror.npy", mirror)
    message = one_line_error(run_stage("train", tmp_path, {"train": {"epochs": 2, "device": "cpu"}}))
    assert message.startswith("error: data/features/mirror.npy is not a permutation of the")


def test_kept_columns_keep_their_mirrors() -> None:
    x = np.arange(12.0).reshape(2, 6)
    data = TrainingData(x, np.zeros(2, int), x, np.zeros(2, int), 10, mirror=np.array([3, 4, 5, 0, 1, 2]))
    kept = data.columns([1, 4, 5, 2])
    np.testing.assert_array_equal(kept.mirrored(np.array([1])), x[[1]][:, [4, 1, 2, 5]])
    with pytest.raises(ValueError, match="must include each one's mirror"):
        data.columns([0, 1])
