"""Model files from elsewhere: every size they state is checked against the others before a network
is built, so a small file cannot make ``checkpoint.load``, ``evaluate`` or ``load_model`` allocate
gigabytes; each refusal is one line naming the file and the fix."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.common.errors import PipelineError
from pipeline.features import Recipe
from pipeline.learning import checkpoint
from pipeline.learning.models import build_model
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from tests.helpers import one_line_error, run_stage
from tests.test_faults import write_stage_inputs

NAMES = [f"f{i}" for i in range(9)]


def saved_payload(normalize: str = "zscore", **train: object) -> dict:
    """What ``checkpoint.save`` writes for an MLP 9-8-10 on nine features (the stage inputs' shape)."""
    params = TrainParams(hidden=[8], normalize=normalize, **train)
    scaler = Scaler.fit(normalize, np.random.default_rng(0).normal(size=(50, 9)))
    model = build_model(NAMES, 10, params)
    recipe = Recipe.default("lecture").to_dict()
    return {
        "state_dict": model.state_dict(),
        "scaler": scaler.to_dict(),
        "train_params": params.model_dump(),
        "feature_names": NAMES,
        "recipe": recipe,
        "summary": {"best_epoch": 1, "epochs_run": 1},
    }


@pytest.fixture
def built_on(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The device type of every network ``checkpoint.load`` builds ("meta" allocates nothing)."""
    devices: list[str] = []

    def spy(*args: object) -> torch.nn.Sequential:
        devices.append(torch.get_default_device().type)
        return build_model(*args)

    monkeypatch.setattr(checkpoint, "build_model", spy)
    return devices


def with_(**changes: object) -> Callable[[dict], None]:
    return lambda payload: payload.update(changes)


def train_params(**changes: object) -> Callable[[dict], None]:
    return lambda payload: payload["train_params"].update(changes)


def weight(key: str, tensor: torch.Tensor) -> Callable[[dict], None]:
    return lambda payload: payload["state_dict"].__setitem__(key, tensor)


HOSTILE: dict[str, tuple[Callable[[dict], None], str]] = {
    "huge-width": (
        train_params(hidden=[10**9]),
        "its train_params.hidden.0: Value error, at most 65,536 units",
    ),
    "wide-within-bounds": (
        train_params(hidden=[65_536, 65_536]),  # 17 GB of weights, in a file of a few KB
        "its weights are not those of a mlp 9-65536-65536-10",
    ),
    "many-features": (
        with_(feature_names=[f"g{i}" for i in range(20_000)]),
        "its scaler's mean is not 20000 numbers, one per feature",
    ),
    "features-past-the-cap": (
        with_(feature_names=["f"] * (checkpoint.MAX_FEATURES + 1)),
        "its feature_names are not a list of 1 to 1,048,576 names",
    ),
    "shape-mismatch": (
        weight("0.weight", torch.zeros(8, 10)),
        "its weight 0.weight is (8, 10), where a mlp 9-8-10",
    ),
    "broadcast-view": (
        weight("0.weight", torch.zeros(1).expand(8, 9)),
        "0.weight is not float32 numbers of its own",
    ),
    "float64-weights": (
        weight("0.bias", torch.zeros(8, dtype=torch.float64)),
        "0.bias is not float32 numbers",
    ),
    "extra-weight": (weight("9.weight", torch.zeros(1)), "its weights are not those of a mlp 9-8-10"),
    "not-a-tensor": (weight("0.bias", [0.0] * 8), "its weight 0.bias is list, where a mlp 9-8-10 has (8,)"),
    "nested-scaler": (
        lambda p: p["scaler"]["state"].__setitem__("std", [[0.0] * 1000] * 9),
        "its scaler's std holds something other than numbers",
    ),
    "short-scaler": (lambda p: p["scaler"]["state"]["std"].pop(), "its scaler's std is not 9 numbers"),
    "unknown-scaler": (
        lambda p: p["scaler"].update(kind="magic"),
        "its scaler is not one of none, lecture_minmax",
    ),
    "summary-of-lists": (with_(summary={"best_epoch": [0] * 10}), "its summary is not a mapping of counts"),
    "no-weights": (lambda p: p.pop("state_dict"), "not a dict with the keys state_dict, scaler"),
    "short-mirror": (with_(mirror=list(range(8))), "its mirror is not a list of 9 column indices"),
    "mirror-of-floats": (with_(mirror=[float(i) for i in range(9)]), "its mirror is not a list of 9 column"),
    "mirror-repeats": (with_(mirror=[0] * 9), "its mirror is not a permutation of the feature columns"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_model_files_are_checked_before_a_network_is_built(
    tmp_path: Path, built_on: list[str], case: str
) -> None:
    change, message = HOSTILE[case]
    payload = saved_payload()
    change(payload)
    path = tmp_path / "model.pt"
    torch.save(payload, path)
    with pytest.raises(PipelineError) as err:
        checkpoint.load(path, 10)
    error = str(err.value)
    assert error.startswith(f"{path} is not a model file this pipeline wrote (") and message in error, error
    assert (
        error.endswith("; rerun `dvc repro train` (or `dvc checkout models/model.pt`)") and "\n" not in error
    )
    assert set(built_on) <= {"meta"}  # nothing real was built


def test_a_wide_model_file_is_small(tmp_path: Path) -> None:
    """The wide case above is the threat: a file of a few KB claiming a 17 GB network."""
    payload = saved_payload()
    payload["train_params"]["hidden"] = [65_536, 65_536]
    torch.save(payload, tmp_path / "model.pt")
    assert (tmp_path / "model.pt").stat().st_size < 200_000


@pytest.mark.parametrize("normalize", ["none", "lecture_minmax", "minmax", "zscore", "quantile"])
def test_every_scaling_round_trips(tmp_path: Path, built_on: list[str], normalize: str) -> None:
    payload = saved_payload(normalize)
    torch.save(payload, tmp_path / "model.pt")
    saved = checkpoint.load(tmp_path / "model.pt", 10)
    assert built_on == ["meta", "cpu"]  # checked on the meta device, then built once
    x = np.random.default_rng(1).normal(size=(5, 9))
    expected = Scaler.from_dict(payload["scaler"]).transform(x)
    np.testing.assert_array_equal(saved.scaler.transform(x), expected)
    for key, tensor in payload["state_dict"].items():
        assert torch.equal(saved.model.state_dict()[key], tensor)


def test_evaluate_refuses_a_wide_model_file_in_one_line(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    payload = saved_payload()
    payload["train_params"]["hidden"] = [65_536, 65_536]
    (tmp_path / "models").mkdir()
    torch.save(payload, tmp_path / "models/model.pt")
    error = one_line_error(run_stage("evaluate", tmp_path, {}))
    assert (
        "models/model.pt is not a model file this pipeline wrote" in error and "mlp 9-65536-65536-10" in error
    )
    assert not (tmp_path / "reports").exists()


def test_a_model_trained_on_mirrors_predicts_from_both(tmp_path: Path) -> None:
    payload = saved_payload()
    mirror = [8, 7, 6, 5, 4, 3, 2, 1, 0]
    torch.save({**payload, "mirror": mirror}, tmp_path / "model.pt")
    saved = checkpoint.load(tmp_path / "model.pt", 10)
    assert saved.mirror.tolist() == mirror
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(5, 9)).astype(np.float32))
    with torch.no_grad():
        both = (torch.softmax(saved.model(x), 1) + torch.softmax(saved.model(x[:, mirror]), 1)) / 2
        torch.testing.assert_close(torch.softmax(saved.predictor(x), 1), both)
    checkpoint.save(tmp_path / "again.pt", saved)
    assert checkpoint.load(tmp_path / "again.pt", 10).mirror.tolist() == mirror
    torch.save(payload, tmp_path / "plain.pt")
    plain = checkpoint.load(tmp_path / "plain.pt", 10)
    assert plain.mirror is None and plain.predictor is plain.model


def test_an_ensemble_model_file_round_trips_and_is_checked(tmp_path: Path, built_on: list[str]) -> None:
    payload = saved_payload(ensemble=2)
    torch.save(payload, tmp_path / "model.pt")
    saved = checkpoint.load(tmp_path / "model.pt", 10)
    assert built_on == ["meta", "cpu"] and len(saved.model.members) == 2
    for key, tensor in payload["state_dict"].items():
        assert torch.equal(saved.model.state_dict()[key], tensor)
    one_network = saved_payload()["state_dict"]
    torch.save({**payload, "state_dict": one_network}, tmp_path / "short.pt")
    with pytest.raises(PipelineError, match=r"not those of an ensemble of 2 mlp 9-8-10s"):
        checkpoint.load(tmp_path / "short.pt", 10)
