"""Tracking across commits and experiments with the real git + DVC CLI (tiny archive on 127.0.0.1).

The tests share one project with two commits and run in file order.
"""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dvc_project import commit, dvc, first_run, run, set_params, venv_env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """Two commits: the first run, then new train.lr and Gabor frequency; returns the first features."""
    project = first_run(tmp_path_factory.mktemp("tracking"))
    first_features = (project / "data/features/train.npy").read_bytes()
    set_params(project, **{"train.lr": 0.01, "features.gabor.frequency": 0.3})
    dvc(project, "repro")
    commit(project, "second run")
    return project, first_features


def test_metrics_and_params_diff_against_the_previous_commit(project: tuple[Path, bytes]) -> None:
    path, _ = project
    params = json.loads(dvc(path, "params", "diff", "HEAD~1", "--json").stdout)["params.yaml"]
    assert (params["train.lr"]["old"], params["train.lr"]["new"]) == (0.003, 0.01)
    assert (params["features.gabor.frequency"]["old"], params["features.gabor.frequency"]["new"]) == (
        0.6,
        0.3,
    )
    metrics = json.loads(dvc(path, "metrics", "diff", "HEAD~1", "--json", "--all").stdout)
    assert {"test.accuracy", "test.loss"} <= set(metrics["reports/metrics.json"])


def test_plots_diff_renders_curves_and_confusion(project: tuple[Path, bytes], tmp_path: Path) -> None:
    path, _ = project
    dvc(path, "plots", "diff", "HEAD~1", "-o", str(tmp_path / "plots"))
    page = (tmp_path / "plots" / "index.html").read_text()
    for name in ("Loss", "Accuracy", "Confusion", "Per-class accuracy", "confusion.png"):
        assert name in page


def test_experiments_run_and_show(project: tuple[Path, bytes]) -> None:
    path, _ = project
    dvc(path, "exp", "run", "--temp", "-n", "perceptron-try", "-S", "train.model=perceptron")
    shown = json.loads(dvc(path, "exp", "show", "--json").stdout)
    experiments = [e for commit in shown for e in (commit.get("experiments") or [])]
    runs = [r for e in experiments for r in e["revs"] if r.get("name") == "perceptron-try"]
    data = runs[0]["data"]
    assert data["params"]["params.yaml"]["data"]["train"]["model"] == "perceptron"
    assert 0 <= data["metrics"]["reports/metrics.json"]["data"]["test"]["accuracy"] <= 1


def test_checking_out_an_older_commit_brings_its_arrays_back(project: tuple[Path, bytes]) -> None:
    path, first_features = project
    assert (path / "data/features/train.npy").read_bytes() != first_features
    run(path, "git", "checkout", "-q", "HEAD~1")
    try:
        dvc(path, "checkout")
        assert (path / "data/features/train.npy").read_bytes() == first_features
        assert "up to date" in dvc(path, "status").stdout
    finally:
        run(path, "git", "checkout", "-q", "-")
        dvc(path, "checkout")
    assert "up to date" in dvc(path, "status").stdout


def test_a_local_remote_restores_cache_and_outputs(project: tuple[Path, bytes], tmp_path: Path) -> None:
    path, _ = project
    dvc(path, "remote", "add", "-d", "--local", "shared", str(tmp_path / "remote"))
    dvc(path, "push")
    model = (path / "models/model.pt").read_bytes()
    for gone in (".dvc/cache", "data", "models"):
        shutil.rmtree(path / gone)
    dvc(path, "pull")
    assert (path / "models/model.pt").read_bytes() == model
    assert "up to date" in dvc(path, "status").stdout


def start_repro(path: Path, stage: str) -> subprocess.Popen:
    """Force-run one stage in the background; returns once DVC has started its command."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro", "-f", "-s", stage],
        cwd=path,
        env=venv_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:
        if line.startswith(f"Running stage '{stage}'"):
            time.sleep(1.0)  # let DVC take its lock on the stage's data and start the command
            return process
    raise AssertionError(f"dvc repro never started {stage}")


def test_a_second_repro_at_once_gets_the_lock_message(project: tuple[Path, bytes]) -> None:
    path, _ = project
    set_params(path, **{"train.epochs": 3000, "train.patience": 0})  # a train stage that takes a while
    first = start_repro(path, "train")
    try:
        second = dvc(path, "repro", check=False)
    finally:
        first.communicate(timeout=300)
    assert second.returncode != 0
    assert "is busy, it is being blocked by" in second.stderr
    assert first.returncode == 0
    run(path, "git", "checkout", "--", "params.yaml")
    dvc(path, "repro")
    assert "up to date" in dvc(path, "status").stdout


def test_an_interrupted_repro_recovers(project: tuple[Path, bytes]) -> None:
    path, _ = project
    interrupted = start_repro(path, "features")
    interrupted.send_signal(signal.SIGINT)
    interrupted.communicate(timeout=300)
    dvc(path, "repro")
    assert "up to date" in dvc(path, "status").stdout
