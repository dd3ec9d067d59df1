"""DVC's run-cache with the real CLI: a configuration computed before comes back from the cache
(outputs checked out, nothing retrained), after an A → B → A edit and for a queued duplicate."""

import json
import time
from pathlib import Path

import pytest

from pipeline.common.settings import read_params
from tests.dvc_project import dvc, set_params, stages_run

pytestmark = pytest.mark.slow
RESTORED = "Stage '{}' is cached - skipping run, checking out outputs"
TRAINING = "stages.train: training"  # the train stage's first log line: it ran
RESULTS = ("dvclive/train/metrics.json", "dvclive/evaluate/metrics.json", "models/model.pt")


def results(project: Path) -> dict[str, bytes]:
    return {name: (project / name).read_bytes() for name in RESULTS}


def test_a_configuration_trained_before_is_restored_not_retrained(first_run_project: Path) -> None:
    project = first_run_project
    first = results(project)
    lr = read_params(project / "params.yaml")["train"]["lr"]
    set_params(project, **{"train.lr": lr * 2})
    assert stages_run(dvc(project, "repro")) == {"check_params", "train", "evaluate"}
    assert results(project) != first
    set_params(project, **{"train.lr": lr})
    back = dvc(project, "repro")
    for stage in ("train", "evaluate"):
        assert RESTORED.format(stage) in back.stdout
    assert stages_run(back) == {"check_params"}  # writes nothing: nothing to restore (see its docstring)
    assert TRAINING not in back.stdout + back.stderr
    assert results(project) == first
    assert json.loads(dvc(project, "metrics", "show", "--json").stdout)  # metrics read as after a run
    assert "up to date" in dvc(project, "status").stdout


def test_a_queued_duplicate_configuration_is_restored(first_run_project: Path) -> None:
    project = first_run_project
    for name in ("once", "again"):
        dvc(project, "exp", "run", "--queue", "-n", name, "-S", "train.lr=0.02")
    dvc(project, "queue", "start", "-j", "1")  # one worker: the two run one after the other
    deadline = time.monotonic() + 600
    while any(state in dvc(project, "queue", "status").stdout for state in ("Queued", "Running")):
        assert time.monotonic() < deadline, dvc(project, "queue", "status").stdout
        time.sleep(2)
    logs = {name: dvc(project, "queue", "logs", name).stdout for name in ("once", "again")}
    trained = [name for name, log in logs.items() if TRAINING in log]
    restored = [name for name, log in logs.items() if RESTORED.format("train") in log]
    assert len(trained) == 1 and len(restored) == 1, logs
    assert RESTORED.format("evaluate") in logs[restored[0]]
    shown = json.loads(dvc(project, "exp", "show", "--json").stdout)
    runs = {
        run["name"]: run["data"]["metrics"]["dvclive/evaluate/metrics.json"]["data"]
        for commit in shown
        for experiment in commit.get("experiments") or []
        for run in experiment["revs"]
        if run.get("name") in logs
    }
    assert runs["once"] == runs["again"]
