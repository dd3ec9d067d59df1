"""Atomic writes: all or nothing, and readable by whoever the umask allows."""

import os
from pathlib import Path

import pytest

from pipeline.common.atomic import atomic_path


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "shared.npy") as tmp:
            tmp.write_bytes(b"data")
    finally:
        os.umask(previous)
    assert (tmp_path / "shared.npy").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(OSError, match="No space left"), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise OSError(28, "No space left on device")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
