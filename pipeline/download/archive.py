"""Unpack the CIFAR-10 python archive without trusting it.

``data.url`` may name any mirror and ``data.md5`` comes from the same place, so a matching md5
proves nothing about the archive's contents. Every member is checked before anything is written;
only then are the expected members extracted, with Python's ``filter="data"`` as a second line of
defence, while the bytes written are counted against a cap.

What each member kind gets:

- refused: absolute names, names with a ``..`` part, anything but a regular file or a directory
  (symlinks, hard links, devices, fifos…), an expected name of the wrong kind, a name listed twice,
  more than ``MAX_MEMBERS`` members, and an archive unpacking to more than ``MAX_UNPACKED_BYTES``;
- skipped with a warning: other regular files and directories (a mirror's README, macOS ``._``
  files), which cannot escape once the checks above have passed and are simply not unpacked.
"""

import errno
import logging
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR, REQUIRED_FILES

log = logging.getLogger(__name__)

EXPECTED_FILES = frozenset(f"{BATCH_DIR}/{name}" for name in (*REQUIRED_FILES, "readme.html"))
MAX_MEMBERS = 64  # the real archive has 9; tarfile keeps every header in memory
MAX_UNPACKED_BYTES = 400 * 2**20  # the real archive unpacks to about 180 MB


def disk_full(err: BaseException | None) -> bool:
    """Whether ``err``, or an error it was raised while handling, is a full disk (ENOSPC).

    The chain matters: a library that meets ENOSPC and then fails in its cleanup or its fallback
    raises that second error.
    """
    while err is not None:
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return True
        err = err.__cause__ or err.__context__
    return False


def no_space_error(doing: str) -> PipelineError:
    """The one-line error for a full disk: the fix is free space, not a different archive."""
    return PipelineError(f"no space left on device while {doing}; free space and rerun `dvc repro download`")


def _kind(member: tarfile.TarInfo) -> str:
    """What a refused member is, for the message (a link names its target)."""
    if member.issym():
        return f"a symlink to {member.linkname!r}"
    if member.islnk():
        return f"a hard link to {member.linkname!r}"
    if member.ischr() or member.isblk():
        return "a device file"
    if member.isfifo():
        return "a fifo"
    return f"a tar member of type {member.type!r}"


def _problem(member: tarfile.TarInfo, name: PurePosixPath) -> str | None:
    """Why ``member`` must be refused, or None."""
    if name.is_absolute():
        return "has an absolute path"
    if ".." in name.parts:
        return "points outside it"
    if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
        return f"is {_kind(member)}, which the real archive never holds"
    if member.offset_data + member.size > MAX_UNPACKED_BYTES:
        return f"takes it past {MAX_UNPACKED_BYTES:,} unpacked bytes (a decompression bomb?)"
    if str(name) == BATCH_DIR and not member.isdir():
        return "is a file where the real archive has a folder"
    if str(name) in EXPECTED_FILES and member.isdir():
        return "is a folder where the real archive has a file"
    return None


def _vet(tar: tarfile.TarFile, source: str) -> list[tarfile.TarInfo]:
    """The members to unpack; raises on the first member that must be refused, before any is written."""
    refuse = f"{source} is not the CIFAR-10 python archive"
    fix = "check data.url in params.yaml"
    wanted, seen = [], set()
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise PipelineError(f"{refuse}: it has more than {MAX_MEMBERS} members; {fix}")
        name = PurePosixPath(member.name)
        problem = _problem(member, name) or ("is listed twice" if name in seen else None)
        if problem:
            raise PipelineError(f"{refuse}: member {member.name!r} {problem}; {fix}")
        seen.add(name)
        if str(name) == BATCH_DIR or str(name) in EXPECTED_FILES:
            wanted.append(member)
        else:
            log.warning("skipping %r in %s: not a CIFAR-10 file", member.name, source)
    return wanted


def _unpack(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: Path, source: str) -> None:
    """Extract the vetted ``members``, counting the bytes that actually land on disk."""
    written = 0
    for member in members:
        tar.extract(member, dest, filter="data")
        if member.isreg():
            written += (dest / member.name).lstat().st_size
            if written > MAX_UNPACKED_BYTES:
                raise PipelineError(
                    f"{source} is not the CIFAR-10 python archive: it unpacks to more than "
                    f"{MAX_UNPACKED_BYTES:,} bytes; check data.url in params.yaml"
                )


def extract_cifar(archive: Path, dest: Path, source: str = "") -> None:
    """Unpack the CIFAR-10 ``archive`` into ``dest`` (a fresh staging folder), or raise and leave
    no ``dest/cifar-10-batches-py`` behind.

    ``source`` (the URL) names the archive in messages; it defaults to ``archive``'s path. What is
    refused and what skipped: see the module docstring.
    """
    source = source or str(archive)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = _vet(tar, source)
            try:
                _unpack(tar, members, dest, source)
            except BaseException:
                shutil.rmtree(dest / BATCH_DIR, ignore_errors=True)
                raise
    except tarfile.FilterError as err:
        raise PipelineError(
            f"{source} is not the CIFAR-10 python archive: {err}; check data.url in params.yaml"
        ) from err
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        if disk_full(err):
            raise no_space_error(f"unpacking {source} into {dest}") from err
        raise PipelineError(
            f"{source} is not a readable .tar.gz archive ({err}); check data.url in params.yaml"
        ) from err
