"""End to end: the real `dvc repro` in a fresh git repo, on a tiny archive served from 127.0.0.1.

The tests share one project and run in file order, each building on the state the previous left.
"""

import json
from pathlib import Path

import pytest

from tests.dvc_project import dvc, first_run, set_params, stages_run


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after a first full `dvc repro` and a commit of everything it produced."""
    return first_run(tmp_path_factory.mktemp("e2e"))


def test_first_run_writes_metrics_plots_and_a_clean_status(project: Path) -> None:
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert metrics["test"]["loss"] > 0
    for name in ("loss.png", "accuracy.png", "confusion.png"):
        assert (project / "reports/figures" / name).read_bytes().startswith(b"\x89PNG")
    assert (project / "data/features/train.npy").exists() and (project / "data/labels/test.npy").exists()
    assert "up to date" in dvc(project, "status").stdout
    shown = dvc(project, "metrics", "show", "--json").stdout
    assert "accuracy" in shown


def test_nothing_changed_runs_nothing(project: Path) -> None:
    assert stages_run(dvc(project, "repro")) == set()


def test_python_and_numba_caches_are_not_dependencies(project: Path) -> None:
    """numba writes compiled kernels (and Python its bytecode) into ``pipeline/features/__pycache__``,
    which a stage depends on as a directory: new files there must not make the stage look changed."""
    cache = project / "pipeline/features/__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "cpu_kernels.luma-99.py311.nbi").write_bytes(b"a kernel compiled on another machine")
    assert "up to date" in dvc(project, "status").stdout


def test_learning_rate_reruns_only_train_and_evaluate(project: Path) -> None:
    set_params(project, **{"train.lr": 0.01})
    assert stages_run(dvc(project, "repro")) == {"train", "evaluate"}


def test_gabor_frequency_reruns_features_not_download_or_labels(project: Path) -> None:
    set_params(project, **{"features.gabor.frequency": 0.3})
    assert stages_run(dvc(project, "repro")) == {"features", "train", "evaluate"}


def test_editing_training_code_reruns_train_not_features(project: Path) -> None:
    with (project / "pipeline/training.py").open("a") as f:
        f.write("\n# a comment that changes the file's hash\n")
    assert stages_run(dvc(project, "repro")) == {"train", "evaluate"}


def test_recomputed_features_are_byte_identical(project: Path) -> None:
    assert stages_run(dvc(project, "repro", "-f", "-s", "features")) == {"features"}
    assert "up to date" in dvc(project, "status").stdout  # train would see a changed dependency
