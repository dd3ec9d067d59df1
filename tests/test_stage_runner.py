"""The stage runner: SIGTERM unwinds like Ctrl-C, and a failed write is one line, not a traceback."""

import errno
import os
import signal
from pathlib import Path

import pytest

from pipeline.common.atomic import atomic_path
from pipeline.common.stage import run_stage


def test_sigterm_unwinds_an_atomic_write_and_exits_143(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "train.npy"
    cleaned = []

    def killed_while_writing() -> None:
        try:
            with atomic_path(target) as tmp:
                tmp.write_bytes(b"half")
                os.kill(os.getpid(), signal.SIGTERM)
        finally:
            cleaned.append(True)

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_info:
        run_stage(killed_while_writing)
    assert exit_info.value.code == 143 and cleaned == [True]
    assert list(tmp_path.iterdir()) == []  # neither the target nor its temporary
    assert capsys.readouterr().err.endswith("error: terminated (SIGTERM); rerun `dvc repro` to finish\n")
    assert signal.getsignal(signal.SIGTERM) == before  # the runner put the old handler back


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            errno.EFBIG,
            "error: file too large for the process's file-size limit writing dvclive/train/metrics.json",
        ),
        (
            errno.EROFS,
            "error: read-only file system writing dvclive/train/metrics.json; make its folder writable",
        ),
    ],
)
def test_a_write_error_outside_atomic_writes_is_one_line(
    capsys: pytest.CaptureFixture[str], code: int, message: str
) -> None:
    def write() -> None:
        raise OSError(code, os.strerror(code), "dvclive/train/metrics.json")

    with pytest.raises(SystemExit) as exit_info:
        run_stage(write)
    assert exit_info.value.code == 2 and capsys.readouterr().err.startswith(message)


def test_other_os_errors_keep_their_traceback() -> None:
    """ENOENT or EACCES may come from reading: only the runner's caller knows, so it is a bug report."""

    def read() -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "data/labels/train.npy")

    with pytest.raises(FileNotFoundError):
        run_stage(read)
