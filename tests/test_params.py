"""params.yaml validation: typos and bad values fail early with the key named."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

import pipeline
from pipeline.common.errors import PipelineError
from pipeline.common.settings import load_section
from pipeline.features.params import ExtendedParams, FeatureParams, ScatteringParams
from pipeline.learning.models import ACTIVATION_LAYERS
from pipeline.learning.params import ACTIVATIONS, TrainParams
from pipeline.params import Params, load_params
from tests.helpers import photo_crops

REPO = Path(__file__).resolve().parents[1]


def _accepts(settings: dict) -> bool:
    try:
        ScatteringParams.model_validate(settings)
    except ValidationError:
        return False
    return True


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
        ({"compute": {"features": {"chunk_size": 0}}}, "compute.features.chunk_size: Input should be"),
        ({"features": {"device": "cpu"}}, "unknown key 'features.device'"),
        ({"features": {"lecture": {"glcm": {"angle": float("nan")}}}}, "features.lecture.glcm.angle"),
        ({"features": {"extended": {"groups": ["lbp", "lbp"]}}}, "list each group once"),
        ({"features": {"implementation": "torch"}}, "features.implementation: Input should be 'batched'"),
        (
            {"train": {"hidden": [10**9]}},
            "train.hidden.0: Value error, at most 65,536 units per layer: a wider",
        ),
        ({"train": {"hidden": [8] * 17}}, "train.hidden: Value error, at most 16 hidden layers: a plain MLP"),
        ({"train": {"epochs": 10**6}}, "train.epochs: Value error, at most 10,000 epochs: "),
        ({"train": {"batch_size": 10**6}}, "at most 100,000 rows per batch: that is the whole training set"),
        (
            {"features": {"scattering": {"J": 5}}},
            "features.scattering.J: Value error, at most 4 scales: a 32×32",
        ),
        (
            {"features": {"scattering": {"L": 64}}},
            "features.scattering.L: Value error, at most 16 orientations",
        ),
        (
            {"features": {"scattering": {"J": 4}}},
            "features.scattering: Value error, pool 4 does not divide the 2×2 maps of J = 4 "
            "(32 / 2^J per side): choose pool 1, 2, or a smaller J",
        ),
        ({"features": {"scattering": {"pool": 3}}}, "pool 3 does not divide the 8×8 maps of J = 2"),
        (
            {"features": {"extended": {"lbp": []}}},
            "lbp is empty while groups lists lbp: give it entries or drop",
        ),
        ({"features": {"extended": {"glcm_angles": []}}}, "glcm_angles is empty while groups lists glcm"),
        ({"features": {"extended": {"gabor_frequencies": []}}}, "gabor_frequencies is empty while groups"),
        ({"features": {"extended": {"lbp": [{"points": 8}] * 9}}}, "at most 8 scales: each is one more pass"),
        (
            {"features": {"extended": {"glcm_distances": [1] * 17}}},
            "at most 16 entries: each distance × angle",
        ),
        (
            {"features": {"extended": {"gabor_orientations": [0.0] * 17}}},
            "at most 16 entries: each frequency",
        ),
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


def test_the_bounds_allow_every_documented_use() -> None:
    assert TrainParams(hidden=[1024]).hidden == [1024]  # the scattering MLP
    assert TrainParams(hidden=[4096, 4096], epochs=200, batch_size=0).hidden == [4096, 4096]
    assert TrainParams(hidden=[65_536] * 16, epochs=10_000, batch_size=100_000).epochs == 10_000


def test_an_empty_list_of_a_disabled_group_is_fine() -> None:
    params = ExtendedParams(groups=["color"], lbp=[], glcm_angles=[], gabor_frequencies=[])
    assert pipeline.extract(photo_crops(2), pipeline.Recipe("extended", params)).shape == (2, 6)


def test_every_accepted_scale_and_pooling_computes() -> None:
    """The schema's J × pool sweep: what it accepts computes, and it accepts every divisor."""
    grid = [(J, pool) for J in range(1, 6) for pool in (1, 2, 3, 4, 8, 16, 32)]
    accepted = [(J, pool) for J, pool in grid if _accepts({"J": J, "pool": pool, "L": 2, "order": 1})]
    assert accepted == [(J, p) for J in range(1, 5) for p in (1, 2, 4, 8, 16) if p <= 32 // 2**J]
    for J, pool in accepted:
        params = ScatteringParams(J=J, pool=pool, L=2, order=1)
        features = pipeline.extract(photo_crops(2), pipeline.Recipe("scattering", params))
        assert features.shape == (2, 3 * (1 + 2 * J) * pool**2) and np.isfinite(features).all()
