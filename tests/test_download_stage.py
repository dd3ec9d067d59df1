"""The download stage as DVC runs it: params read from params.yaml (never through a shell), bad
URLs and odd files in one line, SIGTERM and SIGKILL mid-download, and its start-up imports."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline.data.cifar import BATCH_DIR
from tests.dvc_project import dvc, make_project, run, set_params, stages_run
from tests.helpers import REPO, one_line_error, run_stage, serve, streaming_handler, write_archive


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:80a/x.tar.gz", "the URL has port '80a'"),
        ("http://[::1/x.tar.gz", "the URL has an IPv6 host whose brackets are not closed"),
        ("ftp://mirror.example/x.tar.gz", "the URL has scheme 'ftp'"),
        ("gopher:x.tar.gz", "the URL has scheme 'gopher'"),
    ],
)
@pytest.mark.parametrize("stage", ["download", "check_params"])
def test_a_malformed_url_stops_the_download_and_check_params(
    tmp_path: Path, stage: str, url: str, problem: str
) -> None:
    error = one_line_error(run_stage(stage, tmp_path, {"data": {"url": url}}))
    assert error.startswith(f"error: params.yaml: data.url: {problem}")
    assert "fix data.url in params.yaml" in error and repr(url) in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_odd_local_files_stop_the_stage_in_one_line(tmp_path: Path, kind: str) -> None:
    path = {"fifo": tmp_path / "cifar.fifo", "device": Path("/dev/zero"), "directory": tmp_path / "cifar"}[
        kind
    ]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    error = one_line_error(run_stage("download", work, {"data": {"url": path.as_uri()}}))
    assert f"{path} is a {kind}, not the archive" in error
    assert sorted(p.name for p in (work / "data" / "raw").iterdir()) == []


def stage_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def git_repo(folder: Path) -> Path:
    """A git repository with this project's ignore files, as a clone has."""
    folder.mkdir()
    for name in (".gitignore", ".dvcignore"):
        shutil.copy(REPO / name, folder / name)
    run(folder, "git", "init", "-q")
    return folder


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_download_killed_midway_leaves_nothing_and_the_next_run_cleans_up(
    tmp_path: Path, sig: signal.Signals
) -> None:
    project = git_repo(tmp_path / "project")
    raw = project / "data" / "raw"
    dribble = streaming_handler(length=100 * 2**20, chunk=b"\0" * 4096, pause_s=0.02)
    with serve(tmp_path, dribble) as base:
        (project / "params.yaml").write_text(f"data:\n  url: {base}/cifar-10-python.tar.gz\n")
        stage = subprocess.Popen(
            [sys.executable, "-m", "stages.download"],
            cwd=project,
            env=stage_env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        while not any(p.stat().st_size for p in raw.glob(".download-*/*")):  # bytes have landed
            assert stage.poll() is None, stage.communicate()
            time.sleep(0.05)
        stage.send_signal(sig)
        _, stderr = stage.communicate(timeout=60)
    staging = list(raw.glob(".download-*"))
    if sig == signal.SIGTERM:  # unwound like Ctrl-C: its finally blocks removed the staging folder
        assert stage.returncode == 143 and stderr.strip().splitlines()[-1].startswith("error: terminated")
        assert "Traceback" not in stderr and staging == []
    else:  # no chance to clean up: the folder stays, ignored, until the next run
        assert stage.returncode == -signal.SIGKILL and len(staging) == 1
    assert not (raw / BATCH_DIR).exists()
    untracked = run(project, "git", "status", "--porcelain", "--untracked-files=all").stdout
    assert ".download-" not in untracked and "params.yaml" in untracked

    archive = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = write_archive(archive)
    (project / "params.yaml").write_text(f"data:\n  url: {archive}\n  md5: {md5}\n")
    rerun = subprocess.run(
        [sys.executable, "-m", "stages.download"],
        cwd=project,
        env=stage_env(),
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in raw.iterdir()) == [BATCH_DIR]


@pytest.mark.parametrize("stage", ["download", "labels"])
def test_the_light_stages_never_import_torch(stage: str) -> None:
    """torch and torchvision take seconds to import: the download and labels need neither."""
    code = f"import sys, stages.{stage}; print(sorted({{'torch', 'torchvision'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_url_is_never_run_by_a_shell(tmp_path: Path) -> None:
    """With the real ``dvc``: ``$(…)`` and backticks in data.url run nothing, and a real path
    holding ``$`` and a quote downloads as it is."""
    project = make_project(tmp_path)
    folder = tmp_path / 'we$ird "mirror"'
    md5 = write_archive(folder / "cifar-10-python.tar.gz")
    hostile = f"{tmp_path}/$(touch PWNED)`touch PWNED2`.tar.gz"
    set_params(project, **{"data.url": hostile, "data.md5": md5})
    failed = dvc(project, "repro", "download", check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: cannot download {hostile}: no such file; check data.url in params.yaml"], (
        output
    )
    assert "Traceback" not in output
    assert not list(tmp_path.rglob("PWNED*"))

    set_params(project, **{"data.url": f"file://{folder}/cifar-10-python.tar.gz"})
    done = dvc(project, "repro", "download")
    assert stages_run(done) == {"download"}
    assert (project / "data" / "raw" / BATCH_DIR / "test_batch").is_file()
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]["download"]
    assert lock["params"]["params.yaml"]["data"]["url"] == f"file://{folder}/cifar-10-python.tar.gz"
