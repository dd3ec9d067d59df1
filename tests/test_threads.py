"""Trainings side by side share the cores instead of each taking all of them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.common.errors import PipelineError
from pipeline.learning import threads
from pipeline.learning.threads import THREADS_ENV, available_cores, cpu_threads, running_trainings


def fake_proc(root: Path, commands: list[list[str]]) -> Path:
    for pid, command in enumerate(commands, start=100):
        (root / str(pid)).mkdir()
        (root / str(pid) / "cmdline").write_bytes(b"\0".join(arg.encode() for arg in command) + b"\0")
    (root / "self").mkdir()  # not a pid: skipped
    return root


def test_only_train_stages_are_counted(tmp_path: Path) -> None:
    proc = fake_proc(
        tmp_path,
        [
            ["/venv/bin/python", "-m", "stages.train"],
            ["python3", "-m", "stages.train"],
            ["python", "-m", "stages.evaluate"],
            ["python", "-m", "stages.trainer"],
            ["vim", "stages/train.py"],
            ["/usr/bin/time", "-v", "python", "-m", "stages.train"],  # a wrapper: its child counts
            ["bash", "-c", "python -m stages.train"],  # DVC's shell: its child counts
            [],
        ],
    )
    assert running_trainings(proc) == 2


def test_a_running_train_stage_is_seen_in_proc(tmp_path: Path) -> None:
    if not Path("/proc/self/cmdline").exists():
        pytest.skip("no /proc on this OS")
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "train.py").write_text("import time\ntime.sleep(60)\n")
    before = running_trainings()
    sleepers = [subprocess.Popen([sys.executable, "-m", "stages.train"], cwd=tmp_path) for _ in range(2)]
    try:  # Popen returns once the child has exec'd, so its command line is already in /proc
        assert running_trainings() == before + 2
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()


def test_the_cores_are_divided_among_running_trainings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "available_cores", lambda: 8)
    for running, expected in [(0, 8), (1, 8), (2, 4), (3, 2), (8, 1), (20, 1)]:
        monkeypatch.setattr(threads, "running_trainings", lambda running=running: running)
        assert cpu_threads() == expected


def test_the_overrides_win_and_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setattr(threads, "running_trainings", lambda: 4)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert cpu_threads() == 3
    monkeypatch.setenv(THREADS_ENV, "1")
    assert cpu_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "half")
    with pytest.raises(PipelineError, match=THREADS_ENV):
        cpu_threads()


def test_available_cores_follow_the_affinity_where_the_os_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(os, "sched_getaffinity"):
        assert available_cores() == len(os.sched_getaffinity(0))
        monkeypatch.delattr(os, "sched_getaffinity")  # as on macOS
    assert available_cores() == os.cpu_count()
