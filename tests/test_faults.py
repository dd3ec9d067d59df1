"""Faults met by the real stages: one line naming problem and fix, exit 2, nothing half-written."""

import errno
import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.common import stage
from pipeline.common.devices import resolve_device
from pipeline.common.errors import PipelineError
from tests.helpers import QuietHandler, free_port, one_line_error, run_stage, serve, write_archive


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder served over HTTP: a good archive, an HTML page, and an archive without batches."""
    folder = tmp_path / "site"
    write_archive(folder / "good.tar.gz")
    write_archive(folder / "nobatches.tar.gz", members=("batches.meta",))
    (folder / "page.tar.gz").write_text("<html><body>Service unavailable</body></html>")
    return folder


@pytest.mark.parametrize(
    ("name", "md5", "message"),
    [
        ("good.tar.gz", "0" * 32, "expected 00000000000000000000000000000000 (data.md5)"),
        ("page.tar.gz", None, "is not a readable .tar.gz archive"),
        ("nobatches.tar.gz", None, "lacks cifar-10-batches-py/data_batch_1"),
        ("missing.tar.gz", "0" * 32, "HTTP 404"),
    ],
)
def test_download_faults(tmp_path: Path, site: Path, name: str, md5: str | None, message: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    md5 = md5 or hashlib.md5((site / name).read_bytes()).hexdigest()
    with serve(site) as base:
        error = one_line_error(run_stage("download", work, {"data": {"url": f"{base}/{name}", "md5": md5}}))
    assert message in error and f"{base}/{name}" in error
    assert files_under(work) == ["params.yaml"]
    assert not (work / "data/raw/cifar-10-batches-py").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize(
    ("stage", "key", "params"),
    [
        ("features", "compute.features.device", {"compute": {"features": {"device": "cuda"}}}),
        ("train", "train.device", {"train": {"device": "cuda"}}),
    ],
)
def test_absent_cuda_is_an_error_not_a_fallback(tmp_path: Path, stage: str, key: str, params: dict) -> None:
    error = one_line_error(run_stage(stage, tmp_path, params))
    assert f"{key}: cuda was asked for" in error and f"set {key} to auto or cpu" in error


def test_auto_falls_back_to_cpu_and_explicit_devices_are_checked() -> None:
    if not torch.cuda.is_available():
        assert resolve_device("auto").type in ("cpu", "mps")
        with pytest.raises(PipelineError, match="cuda:3 was asked for"):
            resolve_device("cuda:3")
    assert resolve_device("cpu") == torch.device("cpu")


def write_stage_inputs(folder: Path, n_train: int = 200) -> None:
    """Random features and one-hot labels as the features and labels stages would write them."""
    rng = np.random.default_rng(0)
    for kind in ("features", "labels"):
        (folder / "data" / kind).mkdir(parents=True)
        for split, n in (("train", n_train), ("test", 50)):
            values = rng.normal(size=(n, 9)) if kind == "features" else np.eye(10)[rng.integers(0, 10, n)]
            np.save(folder / "data" / kind / f"{split}.npy", values)
    (folder / "data/features/names.json").write_text(json.dumps([f"f{i}" for i in range(9)]))
    (folder / "data/features/recipe.json").write_text(json.dumps({"set": "lecture", "settings": {}}))


def test_divergence_stops_training_without_a_model(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    params = {"train": {"optimizer": "sgd", "lr": 1e30, "device": "cpu", "epochs": 5}}
    error = one_line_error(run_stage("train", tmp_path, params))
    assert "diverged" in error and "lower train.lr" in error
    assert not (tmp_path / "models").exists() and not (tmp_path / "reports").exists()


def test_a_validation_fraction_that_leaves_nothing_is_one_line(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path, n_train=20)
    error = one_line_error(run_stage("train", tmp_path, {"train": {"val_fraction": 0.999, "device": "cpu"}}))
    assert "train.val_fraction: 0.999 of 20 training rows leaves 0 to train on" in error
    assert not (tmp_path / "models").exists()


def test_a_poisoned_model_file_is_refused_in_one_line(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models/model.pt").write_bytes(pickle.dumps({"state_dict": Exploit()}))
    error = one_line_error(run_stage("evaluate", tmp_path, {}))
    assert "models/model.pt is not a model file this pipeline wrote" in error and "dvc repro train" in error
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "reports").exists()


class Exploit:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch pwned",))


def test_a_full_disk_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def save_on_a_full_disk() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "data/features/train.npy")

    with pytest.raises(SystemExit) as exit_info:
        stage.run_stage(save_on_a_full_disk)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "error: no space left on device writing data/features/train.npy; "
        "free some space and rerun `dvc repro`\n"
    )


def test_truncated_download_is_caught_by_the_md5(tmp_path: Path, site: Path) -> None:
    archive = (site / "good.tar.gz").read_bytes()

    class Truncating(QuietHandler):
        def do_GET(self) -> None:  # promises the whole archive, sends a third, hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(archive)))
            self.end_headers()
            self.wfile.write(archive[: len(archive) // 3])
            self.close_connection = True

    work = tmp_path / "work"
    work.mkdir()
    md5 = hashlib.md5(archive).hexdigest()
    with serve(site, Truncating) as base:
        error = one_line_error(
            run_stage("download", work, {"data": {"url": f"{base}/good.tar.gz", "md5": md5}})
        )
    assert f"expected {md5}" in error and "corrupt" in error
    assert files_under(work) == ["params.yaml"]


@pytest.mark.slow  # waits out the real backoff: 2 × (1 s + 2 s)
def test_server_errors_and_refused_connections_fail_after_retries(tmp_path: Path) -> None:
    class Failing(QuietHandler):
        def do_GET(self) -> None:
            self.send_error(503)

    with serve(tmp_path, Failing) as base:
        error = one_line_error(run_stage("download", tmp_path, {"data": {"url": f"{base}/a.tar.gz"}}))
    assert "HTTP 503" in error and "after 3 attempt(s)" in error
    port = free_port()
    error = one_line_error(
        run_stage("download", tmp_path, {"data": {"url": f"http://127.0.0.1:{port}/a.tar.gz"}})
    )
    assert "refused" in error and "after 3 attempt(s)" in error
    assert files_under(tmp_path) == ["params.yaml"]
