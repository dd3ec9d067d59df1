"""Fetch the CIFAR-10 archive, verify its md5, and unpack it, leaving nothing behind on failure.

urllib does the HTTP (redirects included) and :mod:`pipeline.download.archive` unpacks the archive
without trusting it. This module adds what a pipeline needs around them: a labelled progress bar on a
terminal (none in logs), a clear error naming the URL and both md5s, retries with backoff for
transient network faults, a socket timeout, a one-line error for a full disk, and an all-or-nothing
output directory.
The tarball itself is deleted after extraction so that DVC caches only the batches.
"""

import logging
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from torchvision.datasets.utils import calculate_md5
from tqdm import tqdm

from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR, missing_files
from pipeline.download.archive import disk_full, extract_cifar, no_space_error

log = logging.getLogger(__name__)

ARCHIVE_NAME = "cifar-10-python.tar.gz"
ATTEMPTS = 3  # one try and two retries, BACKOFF_S and 2·BACKOFF_S later
BACKOFF_S = 1.0
TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 20
USER_AGENT = "cifar-texture-pipeline"  # some servers refuse urllib's default


def _is_transient(err: Exception) -> bool:
    """Server errors, timeouts and refused connections may pass; a 404 will not."""
    if isinstance(err, urllib.error.HTTPError):
        return err.code >= 500 or err.code in (408, 429)
    return isinstance(err, urllib.error.URLError | TimeoutError | ConnectionError | socket.timeout)


def _describe(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    return str(getattr(err, "reason", None) or err)


def _copy_local(url: str, folder: Path) -> Path:
    """``file://`` URLs and plain paths: a copy, with one-line errors for a missing file or a full disk."""
    source = Path(url2pathname(urlparse(url).path) if url.startswith("file:") else url)
    if not source.is_file():
        raise PipelineError(f"cannot download {url}: no such file; check data.url in params.yaml")
    try:
        return Path(shutil.copyfile(source, folder / ARCHIVE_NAME))
    except OSError as err:
        if disk_full(err):
            raise no_space_error(f"copying {url} into {folder}") from err
        raise


def _http_get(url: str, target: Path, timeout_s: float) -> None:
    """Stream ``url`` into ``target``; a progress bar named after the archive when stderr is a
    terminal, nothing in logs (DVC's queue, CI), where a bar's redraws would be noise."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with (
        urllib.request.urlopen(request, timeout=timeout_s) as response,
        target.open("wb") as out,
        tqdm(
            total=response.length, unit="B", unit_scale=True, desc=f"download {ARCHIVE_NAME}",
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):  # fmt: skip
        while chunk := response.read(CHUNK_BYTES):
            out.write(chunk)
            bar.update(len(chunk))


def _fetch(url: str, folder: Path, timeout_s: float) -> Path:
    if urlparse(url).scheme in ("", "file"):
        return _copy_local(url, folder)
    log.info("downloading %s", url)
    attempt = 1
    while True:
        try:
            _http_get(url, folder / ARCHIVE_NAME, timeout_s)
            return folder / ARCHIVE_NAME
        except (urllib.error.URLError, OSError) as err:
            if disk_full(err):
                raise no_space_error(f"downloading {url} into {folder}") from err
            reason = _describe(err)
            if not _is_transient(err) or attempt == ATTEMPTS:
                raise PipelineError(
                    f"cannot download {url}: {reason} (after {attempt} attempt(s)); "
                    "check data.url in params.yaml or your network"
                ) from err
            log.warning("download attempt %d failed (%s); retrying", attempt, reason)
            time.sleep(BACKOFF_S * 2 ** (attempt - 1))
            attempt += 1


def download_cifar(url: str, md5: str, out_dir: Path, timeout_s: float = TIMEOUT_S) -> None:
    """Download ``url``, check ``md5``, extract, and move the batches to ``out_dir`` atomically."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=".download-"))
    try:
        archive = _fetch(url, staging, timeout_s)
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
