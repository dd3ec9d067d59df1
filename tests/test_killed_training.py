"""A training killed mid-run (SIGTERM, or SIGKILL where no clean-up code runs) leaves no DVCLive
result that `dvc metrics show` or `dvc exp show` would list, and nothing for git to see."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.reports.live import open_live, partial_dir
from tests.dvc_project import commit, make_project, run, set_params, venv_env
from tests.test_faults import write_stage_inputs

LIVE = Path("dvclive/train")


def train(project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stages.train"],
        cwd=project,
        env=venv_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_epochs(project: Path, process: subprocess.Popen, epochs: int) -> None:
    """Until DVCLive has logged ``epochs`` steps of the running training."""
    steps = project / partial_dir(LIVE) / "plots/metrics/lr.tsv"
    deadline = time.monotonic() + 300
    while not (steps.exists() and len(steps.read_text().splitlines()) > epochs):
        assert process.poll() is None, "the training ended before it could be killed"
        assert time.monotonic() < deadline, "no epochs logged"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_training_leaves_no_result(tmp_path: Path, signum: signal.Signals) -> None:
    project = make_project(tmp_path)
    write_stage_inputs(project)
    set_params(project, **{"train.epochs": 10_000, "train.device": "cpu"})
    commit(project, "inputs")
    killed = train(project)
    wait_for_epochs(project, killed, 3)
    killed.send_signal(signum)
    killed.wait(timeout=60)
    assert killed.returncode != 0
    assert not (project / LIVE).exists()  # no metrics.json, no half of the steps
    assert not (project / "models").exists()
    assert run(project, "git", "status", "--porcelain", "--untracked-files=all").stdout == ""
    if signum == signal.SIGKILL:  # nothing ran on the way out: the partial folder is still there
        assert (project / partial_dir(LIVE)).is_dir()

    set_params(project, **{"train.epochs": 2})
    assert train(project).wait(timeout=300) == 0  # the next run clears what the killed one left
    assert not (project / partial_dir(LIVE)).exists()
    assert json.loads((project / LIVE / "metrics.json").read_text())["epochs_run"] == 2


def test_a_run_replaces_the_previous_files_and_keeps_dvcs_gitignore(tmp_path: Path) -> None:
    directory = tmp_path / LIVE
    (directory / "plots/metrics").mkdir(parents=True)
    (directory / "plots/metrics/old.tsv").write_text("step\told\n")
    (directory / "metrics.json").write_text("{}")
    (directory / ".gitignore").write_text("/plots\n")  # what `dvc repro` writes for a cached out
    with open_live(directory) as live:
        assert not (directory / "metrics.json").exists()  # no stale result while the run is under way
        live.log_metric("test/accuracy", 0.5, plot=False)
    assert sorted(p.name for p in directory.iterdir()) == [".gitignore", "metrics.json"]
    assert json.loads((directory / "metrics.json").read_text()) == {"test": {"accuracy": 0.5}}
    assert (directory / ".gitignore").read_text() == "/plots\n"
    assert not partial_dir(directory).exists()
    with pytest.raises(ZeroDivisionError), open_live(directory):
        1 / 0  # noqa: B018
    assert sorted(p.name for p in directory.iterdir()) == [".gitignore"]
    assert not partial_dir(directory).exists()
