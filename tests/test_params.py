"""params.yaml validation: typos and bad values fail early with the key named."""

from pathlib import Path

import pytest
import yaml

from pipeline.common.errors import PipelineError
from pipeline.common.settings import load_section
from pipeline.features.params import ExtendedParams, FeatureParams
from pipeline.learning.models import ACTIVATION_LAYERS
from pipeline.learning.params import ACTIVATIONS, TrainParams
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
        ({"train": {"seed": -1}}, "train.seed: Input should be greater than or equal to 0"),
        ({"data": {"md5": "xyz"}}, "data.md5"),
        ({"features": {"chunk_size": 0}}, "features.chunk_size: Input should be greater than or equal to 1"),
        ({"features": {"lecture": {"glcm": {"angle": float("nan")}}}}, "features.lecture.glcm.angle"),
        ({"features": {"extended": {"groups": ["lbp", "lbp"]}}}, "list each group once"),
        ({"features": {"implementation": "torch"}}, "features.implementation: Input should be 'batched'"),
    ],
)
def test_bad_params_name_the_key(tmp_path: Path, params: dict, message: str) -> None:
    with pytest.raises(PipelineError, match=r"params\.yaml") as err:
        load_params(write(tmp_path, params))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("written", ["1e-3", "1.0e-3", "1E-3", "0.001"])
def test_exponent_numbers_are_numbers_as_in_dvc(tmp_path: Path, written: str) -> None:
    """PyYAML alone reads ``1e-3`` as a string; DVC (and YAML 1.2) read it as a number."""
    path = tmp_path / "params.yaml"
    path.write_text(f"train:\n  lr: {written}\n")
    assert load_params(path).train.lr == 0.001


def test_each_package_loads_its_own_section(tmp_path: Path) -> None:
    path = write(tmp_path, {"train": {"epochs": 3}, "features": {"set": "extended"}})
    assert load_section("train", TrainParams, path).epochs == 3
    assert load_section("features", FeatureParams, path).settings == ExtendedParams()
    with pytest.raises(PipelineError, match=r"unknown key 'train\.modle'"):
        load_section("train", TrainParams, write(tmp_path, {"train": {"modle": "mlp"}}))


def test_choice_lists_are_defined_once() -> None:
    assert set(ACTIVATION_LAYERS) == set(ACTIVATIONS)


def test_perceptron_needs_no_hidden_layers(tmp_path: Path) -> None:
    params = load_params(write(tmp_path, {"train": {"model": "perceptron", "hidden": []}}))
    assert params.train.model == "perceptron"


def test_unreadable_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("train: [unclosed\n")
    with pytest.raises(PipelineError, match="cannot read"):
        load_params(path)
