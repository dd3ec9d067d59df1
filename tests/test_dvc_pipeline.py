"""End to end: the real `dvc repro` in a fresh git repo, on a tiny archive served from 127.0.0.1.
Each test works on its own copy of a project after a first full run."""

import json
from pathlib import Path

import pytest

from tests.dvc_project import dvc, insert_after, set_params, stages_run

pytestmark = pytest.mark.slow


def test_first_run_writes_metrics_plots_and_a_clean_status(first_run_project: Path) -> None:
    project = first_run_project
    metrics = json.loads((project / "dvclive/evaluate/metrics.json").read_text())
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert metrics["test"]["loss"] > 0
    for name in ("loss.png", "accuracy.png", "confusion.png"):
        assert (project / "reports/figures" / name).read_bytes().startswith(b"\x89PNG")
    grid = project / "dvclive/evaluate/plots/images/misclassified.png"
    assert grid.read_bytes().startswith(b"\x89PNG")
    assert (project / "data/features/train.npy").exists() and (project / "data/labels/test.npy").exists()
    recipe = json.loads((project / "data/features/recipe.json").read_text())
    assert recipe["set"] == "lecture" and recipe["settings"]["gabor"] == {"frequency": 0.6}
    assert "up to date" in dvc(project, "status").stdout
    shown = dvc(project, "metrics", "show", "--json").stdout
    assert "accuracy" in shown


def test_nothing_changed_runs_nothing(first_run_project: Path) -> None:
    assert stages_run(dvc(first_run_project, "repro")) == set()


def test_python_and_numba_caches_are_not_dependencies(first_run_project: Path) -> None:
    """numba writes compiled kernels (and Python its bytecode) into ``__pycache__`` folders of
    packages that stages depend on as directories: new files there must not make a stage look changed."""
    cache = first_run_project / "pipeline/features/kernels/__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "compiled.luma-99.py311.nbi").write_bytes(b"a kernel compiled on another machine")
    assert "up to date" in dvc(first_run_project, "status").stdout


def test_learning_rate_reruns_only_train_and_evaluate(first_run_project: Path) -> None:
    set_params(first_run_project, **{"train.lr": 0.01})
    assert stages_run(dvc(first_run_project, "repro")) == {"check_params", "train", "evaluate"}


def test_a_bad_knob_of_an_up_to_date_stage_still_stops_repro(first_run_project: Path) -> None:
    """compute.features.chunk_size is no stage's dependency: only check_params sees it change."""
    set_params(first_run_project, **{"compute.features.chunk_size": 0})
    result = dvc(first_run_project, "repro", check=False)
    assert result.returncode != 0 and stages_run(result) == {"check_params"}
    expected = "error: params.yaml: compute.features.chunk_size: Input should be greater than or equal to 1"
    assert expected in result.stderr


def test_gabor_frequency_reruns_features_not_download_or_labels(first_run_project: Path) -> None:
    set_params(first_run_project, **{"features.lecture.gabor.frequency": 0.3})
    assert stages_run(dvc(first_run_project, "repro")) == {"check_params", "features", "train", "evaluate"}


def test_a_new_train_knob_in_the_schema_reruns_only_train_and_evaluate(first_run_project: Path) -> None:
    schema = first_run_project / "pipeline/learning/params.py"
    insert_after(schema, '    device: Device = "auto"', "    warmup_epochs: int = 0")
    assert stages_run(dvc(first_run_project, "repro")) == {"check_params", "train", "evaluate"}


def test_a_new_features_knob_in_the_schema_reruns_features_train_evaluate(first_run_project: Path) -> None:
    schema = first_run_project / "pipeline/features/params.py"
    insert_after(schema, "    gabor: GaborParams = GaborParams()", "    new_knob: int = 0")
    assert stages_run(dvc(first_run_project, "repro")) == {"check_params", "features", "train", "evaluate"}


def test_editing_training_code_reruns_train_not_features(first_run_project: Path) -> None:
    with (first_run_project / "pipeline/learning/training.py").open("a") as f:
        f.write("\n# a comment that changes the file's hash\n")
    assert stages_run(dvc(first_run_project, "repro")) == {"train", "evaluate"}  # check_params never runs it


def test_recomputed_features_are_byte_identical(first_run_project: Path) -> None:
    assert stages_run(dvc(first_run_project, "repro", "-f", "-s", "features")) == {"features"}
    assert "up to date" in dvc(first_run_project, "status").stdout  # train would see a changed dependency


def test_identical_runs_give_an_identical_lock_file(first_run_project: Path) -> None:
    lock = (first_run_project / "dvc.lock").read_text()
    dvc(first_run_project, "repro", "-f", "-s", "features", "labels", "train", "evaluate")
    assert (first_run_project / "dvc.lock").read_text() == lock
