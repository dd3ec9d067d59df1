"""A training's thread count is a fixed policy, never the machine's state: PyTorch's sums depend on
it, so the same params and seed give the same model whatever runs beside."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.common.errors import PipelineError
from pipeline.learning.threads import DEFAULT_THREADS, THREADS_ENV, cpu_threads
from tests.helpers import run_stage
from tests.test_faults import write_stage_inputs


def test_one_thread_by_default_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # a scheduler's per-job setting: not a policy for results
    assert cpu_threads() == DEFAULT_THREADS == 1


@pytest.mark.parametrize(("value", "threads"), [("1", 1), ("2", 2), ("16", 16)])
def test_the_variable_chooses_the_count(monkeypatch: pytest.MonkeyPatch, value: str, threads: int) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    assert cpu_threads() == threads


@pytest.mark.parametrize("value", ["half", "0", "-1", "1.5"])
def test_a_bad_count_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(THREADS_ENV, value)
    message = rf"^{THREADS_ENV}='{value}': expected a whole number of threads, 1 or more$"
    with pytest.raises(PipelineError, match=message):
        cpu_threads()


@pytest.mark.slow  # it keeps both cores busy on purpose
def test_other_trainings_running_do_not_change_the_model(tmp_path: Path) -> None:
    """Two runs of the same params, the second while two other train stages are running, write
    byte-identical models and log the same thread count."""
    write_stage_inputs(tmp_path)
    params = {"train": {"epochs": 3, "device": "cpu"}}
    alone = run_stage("train", tmp_path, params)
    first = (tmp_path / "models/model.pt").read_bytes()
    busy = tmp_path / "busy"  # spinning processes that look like train stages
    (busy / "stages").mkdir(parents=True)
    (busy / "stages/train.py").write_text("while True:\n    pass\n")
    others = [subprocess.Popen([sys.executable, "-m", "stages.train"], cwd=busy) for _ in range(2)]
    try:
        beside = run_stage("train", tmp_path, params)
    finally:
        for other in others:
            other.kill()
            other.wait()
    assert alone.returncode == beside.returncode == 0, beside.stderr
    assert "cpu (threads: 1)" in alone.stderr and "cpu (threads: 1)" in beside.stderr
    assert (tmp_path / "models/model.pt").read_bytes() == first
