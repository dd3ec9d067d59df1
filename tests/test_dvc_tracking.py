"""Tracking across commits and experiments with the real git + DVC CLI (tiny archive on 127.0.0.1).

Each test works on its own copy of a project with two commits: the first run, then a new
train.lr and Gabor frequency.
"""

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.dvc_project import dvc, held_stage, run

pytestmark = pytest.mark.slow


def test_metrics_and_params_diff_against_the_previous_commit(two_commits_project: Path) -> None:
    path = two_commits_project
    params = json.loads(dvc(path, "params", "diff", "HEAD~1", "--json").stdout)["params.yaml"]
    assert (params["train.lr"]["old"], params["train.lr"]["new"]) == (0.003, 0.01)
    gabor = params["features.lecture.gabor.frequency"]
    assert (gabor["old"], gabor["new"]) == (
        0.6,
        0.3,
    )
    metrics = json.loads(dvc(path, "metrics", "diff", "HEAD~1", "--json", "--all").stdout)
    assert {"test.accuracy", "test.loss"} <= set(metrics["dvclive/evaluate/metrics.json"])


def test_plots_diff_renders_curves_and_confusion(two_commits_project: Path, tmp_path: Path) -> None:
    path = two_commits_project
    dvc(path, "plots", "diff", "HEAD~1", "-o", str(tmp_path / "plots"))
    page = (tmp_path / "plots" / "index.html").read_text()
    for name in ("Loss", "Accuracy", "Confusion", "Per-class accuracy", "confusion.png"):
        assert name in page


def test_experiments_run_and_show(two_commits_project: Path) -> None:
    path = two_commits_project
    dvc(path, "exp", "run", "--temp", "-n", "perceptron-try", "-S", "train.model=perceptron")
    shown = json.loads(dvc(path, "exp", "show", "--json").stdout)
    experiments = [e for commit in shown for e in (commit.get("experiments") or [])]
    runs = [r for e in experiments for r in e["revs"] if r.get("name") == "perceptron-try"]
    data = runs[0]["data"]
    assert data["params"]["params.yaml"]["data"]["train"]["model"] == "perceptron"
    assert 0 <= data["metrics"]["dvclive/evaluate/metrics.json"]["data"]["test"]["accuracy"] <= 1


def test_checking_out_an_older_commit_brings_its_arrays_back(
    two_commits_project: Path, first_run_template: Path
) -> None:
    path = two_commits_project
    first_features = (first_run_template / "data/features/train.npy").read_bytes()
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


def test_a_local_remote_restores_cache_and_outputs(two_commits_project: Path, tmp_path: Path) -> None:
    path = two_commits_project
    dvc(path, "remote", "add", "-d", "--local", "shared", str(tmp_path / "remote"))
    dvc(path, "push")
    model = (path / "models/model.pt").read_bytes()
    for gone in (".dvc/cache", "data", "models"):
        shutil.rmtree(path / gone)
    dvc(path, "pull")
    assert (path / "models/model.pt").read_bytes() == model
    assert "up to date" in dvc(path, "status").stdout


def test_a_second_repro_at_once_gets_the_lock_message(two_commits_project: Path) -> None:
    path = two_commits_project
    with held_stage(path, "train") as (first, _):
        second = dvc(path, "repro", check=False)
    assert second.returncode != 0
    assert "is busy, it is being blocked by" in second.stderr
    assert first.returncode == 0, first.stderr
    dvc(path, "repro")
    assert "up to date" in dvc(path, "status").stdout


def test_an_interrupted_repro_recovers(two_commits_project: Path) -> None:
    path = two_commits_project
    with held_stage(path, "features") as (interrupted, _):
        os.killpg(interrupted.pid, signal.SIGINT)  # Ctrl-C reaches DVC and the stage's command
        interrupted.wait(timeout=300)
    assert interrupted.returncode != 0
    dvc(path, "repro")
    assert "up to date" in dvc(path, "status").stdout
