"""Write files so that a crash, Ctrl-C or SIGTERM never leaves a half-written output behind, and a
failed write is one line naming the file and the fix."""

import errno
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.common.errors import PipelineError

FREE_SPACE = "free some space"
WRITABLE = "make its folder writable"
# errno → (what happened, the fix); the first four can only come from writing
WRITE_FAULTS = {
    errno.ENOSPC: ("no space left on device", FREE_SPACE),
    errno.EDQUOT: ("disk quota exceeded", FREE_SPACE),
    errno.EFBIG: ("file too large for the process's file-size limit", "raise it (`ulimit -f unlimited`)"),
    errno.EROFS: ("read-only file system", WRITABLE),
    errno.EACCES: ("permission denied", WRITABLE),
    errno.EPERM: ("operation not permitted", WRITABLE),
}


def _errno(err: BaseException | None) -> int | None:
    """The first errno in ``err``'s chain: libraries that meet ENOSPC often raise their own error
    while handling it (numpy, torch's writer), or one without an errno at all."""
    while err is not None:
        if isinstance(err, OSError) and err.errno is not None:
            return err.errno
        err = err.__cause__ or err.__context__
    return None


def write_error(path: Path | str | None, err: BaseException) -> PipelineError:
    """The one-line error for failing to write ``path``."""
    what, fix = WRITE_FAULTS.get(_errno(err), (None, None))
    if what is None:
        detail = str(err).strip().splitlines()[:1] or [""]
        what = f"the write failed ({type(err).__name__}: {detail[0]})"
        fix = "check free space (`df`) and that its folder is writable"
    where = f" writing {path}" if path else ""
    return PipelineError(f"{what}{where}; {fix} and rerun `dvc repro`")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; it replaces ``target`` only if the block succeeds.

    The block is for writing: anything but a ``PipelineError`` it raises (an ``OSError``, with or
    without an errno, or torch's ``RuntimeError`` on a full disk) becomes :func:`write_error`.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
        )
    except OSError as err:
        raise write_error(target, err) from err
    os.close(fd)
    try:
        yield Path(tmp)
        if target.suffix == ".npy":
            _check_npy(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; teammates sharing a checkout need to read it
        os.replace(tmp, target)
    except PipelineError:
        raise
    except Exception as err:
        raise write_error(target, err) from err
    finally:
        Path(tmp).unlink(missing_ok=True)


def _check_npy(path: Path) -> None:
    """Raise unless ``path`` holds all the bytes its .npy header promises.

    ``np.save`` writes through a C stdio buffer and ignores the error of its final flush, so on a
    full disk or past the file-size limit it returns normally with the file's tail missing. Asking
    the file system for the promised size then yields the errno the flush hid.
    """
    import numpy as np  # only .npy writers pay for it, and they have numpy loaded already

    size = path.stat().st_size
    with path.open("r+b") as f:
        try:
            major, _ = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(f)
        except ValueError:  # even the header is cut short
            expected = size + 1
        else:
            if dtype.hasobject:  # pickled rows: no size to expect (the stages never write them)
                return
            expected = f.tell() + math.prod(shape) * dtype.itemsize
        if size < expected:
            os.posix_fallocate(f.fileno(), 0, expected)  # raises the real errno (EFBIG, ENOSPC)
            raise OSError(f"{size:,} of {expected:,} bytes reached the disk")


def _umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
