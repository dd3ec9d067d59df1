"""Fetch the CIFAR-10 archive, verify its md5, and unpack it, leaving nothing behind on failure.

urllib does the HTTP (redirects included) and :mod:`pipeline.download.archive` unpacks the archive
without trusting it. This module adds what a pipeline needs around them: a labelled progress bar on a
terminal (none in logs), a clear error naming the URL and both md5s, retries with backoff for
transient network faults, a socket timeout, a size cap (an endless body must not fill the disk),
only regular files from a local path, one-line errors for a full or read-only disk, and an
all-or-nothing output directory: everything lands in a staging folder beside it first, which a
killed run leaves behind and the next run removes. The tarball itself is deleted after extraction
so that DVC caches only the batches.
"""

import hashlib
import http.client
import io
import logging
import os
import shutil
import socket
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from tqdm import tqdm

from pipeline.common.atomic import write_error
from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR, missing_files
from pipeline.download.archive import extract_cifar
from pipeline.download.params import url_problem

log = logging.getLogger(__name__)

ARCHIVE_NAME = "cifar-10-python.tar.gz"
ATTEMPTS = 3  # one try and two retries, BACKOFF_S and 2·BACKOFF_S later
BACKOFF_S = 1.0
TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 20
MAX_ARCHIVE_BYTES = 512 * 2**20  # the real archive is 163 MiB; an endless body stops here
STAGING_PREFIX = ".download-"  # git- and dvc-ignored; a killed run's folder goes at the next run
USER_AGENT = "cifar-texture-pipeline"  # some servers refuse urllib's default
FIX = "check data.url in params.yaml"


def _is_transient(err: Exception) -> bool:
    """Server errors, timeouts, refused connections and cut-off bodies may pass; a 404 will not."""
    if isinstance(err, urllib.error.HTTPError):
        return err.code >= 500 or err.code in (408, 429)
    return isinstance(
        err,
        urllib.error.URLError | http.client.HTTPException | TimeoutError | ConnectionError | socket.timeout,
    )


def _describe(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    return str(getattr(err, "reason", None) or err) or type(err).__name__


def _too_big(url: str, what: str) -> PipelineError:
    return PipelineError(
        f"cannot download {url}: {what}, past the {MAX_ARCHIVE_BYTES:,}-byte cap (the real archive is "
        f"163 MiB); {FIX}"
    )


def _stream(source: io.BufferedIOBase, size: int | None, target: Path, url: str) -> None:
    """Copy ``source`` (``size`` bytes, when known) into ``target``, never past MAX_ARCHIVE_BYTES.

    A size above the cap is refused before a byte is read; a body without one (or a file that
    grows) stops at the cap. A progress bar named after the archive shows when stderr is a
    terminal, nothing in logs (DVC's queue, CI), where a bar's redraws would be noise.
    """
    cap = MAX_ARCHIVE_BYTES  # read at call time: tests lower it
    if size is not None and size > cap:
        raise _too_big(url, f"it is {size:,} bytes")
    with _writes_to(target):
        out = target.open("wb", buffering=0)  # unbuffered: a write error shows at its write, not at close
    written = 0
    with (
        out,
        tqdm(
            total=size, unit="B", unit_scale=True, desc=f"download {ARCHIVE_NAME}",
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):  # fmt: skip
        while chunk := source.read1(min(CHUNK_BYTES, cap + 1 - written)):  # what has arrived
            written += len(chunk)
            if written > cap:
                raise _too_big(url, "the body does not end")
            with _writes_to(target):
                view = memoryview(chunk)
                while view:  # a raw write may take part of the chunk (a limit reached mid-chunk)
                    view = view[out.write(view) :]
            bar.update(len(chunk))


@contextmanager
def _writes_to(target: Path) -> Iterator[None]:
    """A failed write names ``target`` (full disk, read-only folder); read errors stay network faults."""
    try:
        yield
    except OSError as err:
        raise write_error(target, err) from err


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def _copy_local(url: str, target: Path) -> None:
    """``file://`` URLs and plain paths: only a regular file is copied.

    It is opened non-blocking (a fifo would otherwise wait for a writer) and checked through its
    descriptor, so ``/dev/zero`` or a directory is refused without a byte read.
    """
    path = Path(url2pathname(urlsplit(url).path) if urlsplit(url).scheme == "file" else url)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as err:
        raise PipelineError(f"cannot download {url}: no such file; {FIX}") from err
    except OSError as err:
        raise PipelineError(f"cannot download {url}: {err.strerror or err}; {FIX}") from err
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise PipelineError(f"cannot download {url}: {path} is {_kind(info.st_mode)}, not the archive; {FIX}")
    with os.fdopen(fd, "rb") as source:
        _stream(source, info.st_size, target, url)


def _http_get(url: str, target: Path, timeout_s: float) -> None:
    """Stream ``url`` into ``target``; urllib never reads past a Content-Length."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        _stream(response, response.length, target, url)


def _fetch(url: str, target: Path, timeout_s: float) -> None:
    problem = url_problem(url)
    if problem:
        raise PipelineError(f"cannot download {url}: the URL {problem}; {FIX}")
    if urlsplit(url).scheme in ("", "file"):
        _copy_local(url, target)
        return
    log.info("downloading %s", url)
    attempt = 1
    while True:
        try:
            _http_get(url, target, timeout_s)
            return
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            reason = _describe(err)
            if not _is_transient(err) or attempt == ATTEMPTS:
                raise PipelineError(
                    f"cannot download {url}: {reason} (after {attempt} attempt(s)); "
                    "check data.url in params.yaml or your network"
                ) from err
            log.warning("download attempt %d failed (%s); retrying", attempt, reason)
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))
            attempt += 1


def calculate_md5(path: Path) -> str:
    """hashlib's own file loop: torchvision's helper would cost the stage seconds of torch import."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def _remove_stale_staging(folder: Path) -> None:
    """Staging folders of a run that was killed (SIGKILL, power loss) before it could clean up."""
    for stale in folder.glob(f"{STAGING_PREFIX}*"):
        log.info("removing %s, left by an interrupted download", stale)
        shutil.rmtree(stale, ignore_errors=True)


def download_cifar(url: str, md5: str, out_dir: Path, timeout_s: float = TIMEOUT_S) -> None:
    """Download ``url``, check ``md5``, extract, and move the batches to ``out_dir`` atomically."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(out_dir.parent)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=STAGING_PREFIX))
    try:
        archive = staging / ARCHIVE_NAME
        _fetch(url, archive, timeout_s)
        got = calculate_md5(archive)
        if got != md5:
            raise PipelineError(
                f"{url} has md5 {got}, expected {md5} (data.md5); the download is corrupt or "
                "not the archive you meant: fix data.url or data.md5 in params.yaml"
            )
        extract_cifar(archive, staging, url)
        archive.unlink()
        missing = missing_files(staging / BATCH_DIR)
        if missing:
            raise PipelineError(
                f"{url} lacks {BATCH_DIR}/{', '.join(missing)}: it is not the CIFAR-10 python archive"
            )
        shutil.rmtree(out_dir, ignore_errors=True)
        (staging / BATCH_DIR).rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
