"""`python -m scripts.preset`: the user's options win over the preset's, and a rerun replaces the
experiment instead of failing on its name."""

import itertools
import shutil
from pathlib import Path

import pytest
from dvc.utils.hydra import apply_overrides

from pipeline.common.settings import read_params
from pipeline.params import load_params
from scripts.preset import commands
from tests.dvc_project import REPO, dvc, run, stages_run


def set_values(command: list[str]) -> list[str]:
    return [value for flag, value in itertools.pairwise(command) if flag == "-S"]


def test_the_users_options_come_last_and_win(tmp_path: Path) -> None:
    [command] = commands("lecture5", ["-S", "train.epochs=5", "--queue"], exists=lambda name: False)
    assert command[:5] == ["dvc", "exp", "run", "-n", "lecture5"]
    assert command[-3:] == ["-S", "train.epochs=5", "--queue"]
    params = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", params)
    apply_overrides(params, set_values(command))  # DVC's own code for -S, in the order given
    train = read_params(params)["train"]
    assert (train["epochs"], train["model"], train["lr"], train["batch_size"]) == (5, "perceptron", 10.0, 0)


@pytest.mark.parametrize("name", sorted(path.stem for path in (REPO / "presets").glob("*.yaml")))
def test_every_preset_sets_valid_params(tmp_path: Path, name: str) -> None:
    [command] = commands(name, [], exists=lambda name: False)
    params = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", params)
    apply_overrides(params, set_values(command))
    assert load_params(params).model_dump() != load_params(REPO / "params.yaml").model_dump()


def test_an_existing_experiment_is_replaced_unless_forced() -> None:
    remove, run_preset = commands("lecture10", [], exists=lambda name: name == "lecture10")
    assert remove == ["dvc", "exp", "remove", "lecture10"] and run_preset[:3] == ["dvc", "exp", "run"]
    for force in ("-f", "--force"):
        [forced] = commands("lecture10", [force], exists=lambda name: True)
        assert forced[-1] == force
    [fresh] = commands("lecture10", [], exists=lambda name: False)
    assert fresh == run_preset


@pytest.mark.slow
def test_a_preset_runs_twice_with_the_users_epochs(first_run_project: Path) -> None:
    # scripts/ and presets/ from this checkout; `python` and `dvc` from its environment
    preset = ("env", f"PYTHONPATH={REPO}", "python", "-m", "scripts.preset", "lecture5")
    first = run(first_run_project, *preset, "-S", "train.epochs=3")
    second = run(first_run_project, *preset, "-S", "train.epochs=3")
    assert "dvc exp remove lecture5" not in first.stdout
    assert "dvc exp remove lecture5" in second.stdout
    assert "train" in stages_run(first) and "train" not in stages_run(second)  # nothing changed: no training
    assert dvc(first_run_project, "exp", "list", "--name-only").stdout.split() == ["lecture5"]
    params = read_params(first_run_project / "params.yaml")["train"]
    assert (params["model"], params["epochs"]) == ("perceptron", 3)
