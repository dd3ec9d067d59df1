"""Atomic writes: all or nothing, readable by whoever the umask allows, and a failed write is one
line naming the file and the fix, whatever the writer raised."""

import errno
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from pipeline.common.atomic import atomic_path
from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR
from pipeline.download.archive import extract_cifar
from tests.helpers import REPO, one_line_error, write_archive


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "shared.csv") as tmp:
            tmp.write_bytes(b"data")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.csv").stat().st_mode & 0o777 == 0o644


FAULTS = [  # what the writer raised → what the line must say
    (OSError(errno.ENOSPC, "No space left on device"), "no space left on device writing {}; free some space"),
    (
        PermissionError(errno.EACCES, "Permission denied"),
        "permission denied writing {}; make its folder writable",
    ),
    (
        OSError(errno.EROFS, "Read-only file system"),
        "read-only file system writing {}; make its folder writable",
    ),
    (OSError(errno.EFBIG, "File too large"), "file too large for the process's file-size limit writing {}"),
    (
        OSError("1000 requested and 0 written"),
        "the write failed (OSError: 1000 requested and 0 written) writing {}",
    ),
    (
        RuntimeError("[enforce fail at inline_container.cc:595] . unexpected pos 64 vs 0"),
        "the write failed (RuntimeError: [enforce fail at inline_container.cc:595] . unexpected pos 64 vs 0) "
        "writing {}; check free space",
    ),
]


@pytest.mark.parametrize(
    ("fault", "message"), FAULTS, ids=lambda f: type(f).__name__ if isinstance(f, Exception) else ""
)
def test_a_failed_write_keeps_the_old_file_and_is_one_line(
    tmp_path: Path, fault: Exception, message: str
) -> None:
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(PipelineError) as err, atomic_path(target) as tmp:
        tmp.write_text("half")
        raise fault
    assert str(err.value).startswith(message.format(target)) and str(err.value).endswith("rerun `dvc repro`")
    assert err.value.__cause__ is fault
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_an_errno_deeper_in_the_chain_names_the_fault(tmp_path: Path) -> None:
    """numpy and torch raise their own error while handling the OSError of a full disk."""
    with (
        pytest.raises(PipelineError, match="no space left on device writing"),
        atomic_path(tmp_path / "a.pt"),
    ):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as disk:
            raise RuntimeError("PytorchStreamWriter failed writing file data/0") from disk


def test_a_folder_that_cannot_hold_the_temporary_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(**kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system", str(kwargs["dir"]))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with (
        pytest.raises(
            PipelineError, match=r"^read-only file system writing .*labels/train\.npy; make its folder"
        ),
        atomic_path(tmp_path / "labels" / "train.npy"),
    ):
        pass


@pytest.mark.parametrize("kept", [1000, 50])  # the tail of the rows lost, or part of the header
def test_an_npy_file_missing_its_tail_is_refused(tmp_path: Path, kept: int) -> None:
    """What ``np.save`` leaves when its buffer's last flush fails: it returns, the tail is gone."""
    target = tmp_path / "train.npy"
    with (
        pytest.raises(PipelineError, match=r"bytes reached the disk\) writing .*train\.npy"),
        atomic_path(target) as tmp,
    ):
        np.save(tmp, np.ones((40, 10), np.float32))
        os.truncate(tmp, kept)
    assert list(tmp_path.iterdir()) == []


def test_a_pipeline_error_in_the_block_passes_unchanged(tmp_path: Path) -> None:
    original = PipelineError("labels must lie in 0..9")
    with pytest.raises(PipelineError) as err, atomic_path(tmp_path / "train.npy"):
        raise original
    assert err.value is original and list(tmp_path.iterdir()) == []


def test_a_real_file_size_limit_stops_the_labels_stage_in_one_line(tmp_path: Path) -> None:
    """EFBIG from the kernel (``ulimit -f``) inside ``np.save``, in a child process: the labels of
    40 images (1.7 kB) pass a 1 kB limit."""
    work = tmp_path / "work"
    write_archive(tmp_path / "a.tar.gz")
    extract_cifar(tmp_path / "a.tar.gz", work / "data" / "raw")
    assert (work / "data" / "raw" / BATCH_DIR / "test_batch").is_file()

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    result = subprocess.run(
        [sys.executable, "-m", "stages.labels"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_file_size,
    )
    error = one_line_error(result)
    assert error.startswith(
        "error: file too large for the process's file-size limit writing data/labels/train.npy"
    )
    assert "ulimit -f unlimited" in error
    assert sorted(p.name for p in (work / "data" / "labels").iterdir()) == []  # no temporary left
