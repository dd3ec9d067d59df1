"""params.yaml validation: typos and bad values fail early with the key named."""

from pathlib import Path

import pytest
import yaml

from pipeline.common.errors import PipelineError
from pipeline.params import Params, load_params

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, params: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_repository_params_match_the_defaults() -> None:
    assert load_params(REPO / "params.yaml") == Params()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"train": {"modle": "mlp"}}, "unknown key 'train.modle'"),
        ({"train": {"model": "cnn"}}, "train.model: Input should be 'perceptron' or 'mlp'"),
        ({"train": {"lr": 0}}, "train.lr: Input should be greater than 0"),
        ({"train": {"lr": -0.1}}, "train.lr"),
        ({"train": {"epochs": 2.5}}, "train.epochs: Input should be a valid integer"),
        ({"train": {"epochs": "10"}}, "train.epochs"),
        ({"train": {"model": "mlp", "hidden": []}}, "train.hidden must list at least one layer"),
        ({"features": {"set": "fancy"}}, "features.set: Input should be 'lecture'"),
        ({"train": {"device": "gpu"}}, "train.device"),
        ({"data": {"md5": "xyz"}}, "data.md5"),
    ],
)
def test_bad_params_name_the_key(tmp_path: Path, params: dict, message: str) -> None:
    with pytest.raises(PipelineError, match=r"params\.yaml") as err:
        load_params(write(tmp_path, params))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_perceptron_needs_no_hidden_layers(tmp_path: Path) -> None:
    params = load_params(write(tmp_path, {"train": {"model": "perceptron", "hidden": []}}))
    assert params.train.model == "perceptron"


def test_unreadable_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(PipelineError, match="cannot read"):
        load_params(path)
