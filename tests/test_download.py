"""The download stage's library against a real HTTP server on 127.0.0.1."""

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.download import fetch as download
from pipeline.download.fetch import download_cifar
from tests.helpers import QuietHandler, free_port, serve, streaming_handler, write_archive


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "BACKOFF_S", 0.01)


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    return path, write_archive(path)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_downloads_checks_and_unpacks(tmp_path: Path, archive: tuple[Path, str]) -> None:
    path, md5 = archive
    out = tmp_path / "raw" / BATCH_DIR
    with serve(path.parent) as url:
        download_cifar(f"{url}/{path.name}", md5, out)
    images, labels = load_split(out, "train")
    assert images.shape == (40, 32, 32, 3) and images.dtype == np.uint8
    assert sorted(set(labels.tolist())) == list(range(10))
    assert leftovers(tmp_path / "raw") == [BATCH_DIR]  # no tarball, no staging folder


def test_local_file_url_works_offline(tmp_path: Path, archive: tuple[Path, str]) -> None:
    path, md5 = archive
    download_cifar(path.as_uri(), md5, tmp_path / "raw" / BATCH_DIR)
    assert load_split(tmp_path / "raw" / BATCH_DIR, "test")[0].shape == (20, 32, 32, 3)


def test_wrong_md5_names_url_and_both_checksums(tmp_path: Path, archive: tuple[Path, str]) -> None:
    path, md5 = archive
    with serve(path.parent) as url, pytest.raises(PipelineError) as err:
        download_cifar(f"{url}/{path.name}", "0" * 32, tmp_path / "raw" / BATCH_DIR)
    message = str(err.value)
    assert url in message and md5 in message and "0" * 32 in message and "data.md5" in message
    assert leftovers(tmp_path / "raw") == []


def test_archive_without_batches_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = write_archive(path, members=("batches.meta", "test_batch"))
    with (
        serve(path.parent) as url,
        pytest.raises(PipelineError, match="lacks cifar-10-batches-py/data_batch_1"),
    ):
        download_cifar(f"{url}/{path.name}", md5, tmp_path / "raw" / BATCH_DIR)
    assert leftovers(tmp_path / "raw") == []


def test_html_error_page_is_not_an_archive(tmp_path: Path) -> None:
    page = tmp_path / "site" / "cifar-10-python.tar.gz"
    page.parent.mkdir()
    page.write_text("<html><body>Service unavailable</body></html>")
    md5 = download.calculate_md5(page)  # even with a matching md5, it is no archive
    with serve(page.parent) as url, pytest.raises(PipelineError, match=r"not a readable \.tar\.gz"):
        download_cifar(f"{url}/{page.name}", md5, tmp_path / "raw" / BATCH_DIR)
    assert leftovers(tmp_path / "raw") == []


def test_404_fails_at_once(tmp_path: Path) -> None:
    with serve(tmp_path) as url, pytest.raises(PipelineError, match=r"404.*after 1 attempt"):
        download_cifar(f"{url}/missing.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR)


def test_server_errors_are_retried_then_reported(tmp_path: Path) -> None:
    calls = []

    class Failing(QuietHandler):
        def do_GET(self) -> None:
            calls.append(self.path)
            self.send_error(500)

    with serve(tmp_path, Failing) as url, pytest.raises(PipelineError, match=r"after 3 attempt"):
        download_cifar(f"{url}/a.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR)
    assert len(calls) == 3  # the redirect probe fails first, once per attempt


def test_connection_refused_is_reported(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(PipelineError, match=r"cannot download .*refused"):
        download_cifar(f"http://127.0.0.1:{port}/a.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR)


def test_stalled_server_times_out(tmp_path: Path) -> None:
    class Stalling(QuietHandler):
        def do_GET(self) -> None:
            time.sleep(2)

    started = time.monotonic()
    with serve(tmp_path, Stalling) as url, pytest.raises(PipelineError, match="timed out"):
        download_cifar(f"{url}/a.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR, timeout_s=0.2)
    assert time.monotonic() - started < 10


def test_the_bar_is_labelled_on_a_terminal_and_absent_in_logs(
    tmp_path: Path,
    archive: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, md5 = archive
    with serve(path.parent) as url:
        download_cifar(f"{url}/{path.name}", md5, tmp_path / "logged" / BATCH_DIR)
        assert capsys.readouterr().err == ""  # stderr is not a terminal here: no bar
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        download_cifar(f"{url}/{path.name}", md5, tmp_path / "terminal" / BATCH_DIR)
    bar = capsys.readouterr().err
    assert "download cifar-10-python.tar.gz" in bar and "100%" in bar


CAP = 3 * 2**20  # the tests stream a few MB, not the real 512 MiB


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(download, "MAX_ARCHIVE_BYTES", CAP)
    return CAP


def test_an_endless_body_stops_at_the_cap(tmp_path: Path, small_cap: int) -> None:
    with serve(tmp_path, streaming_handler()) as url, pytest.raises(PipelineError) as err:
        download_cifar(f"{url}/a.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR)
    assert str(err.value) == (
        f"cannot download {url}/a.tar.gz: the body does not end, past the 3,145,728-byte cap "
        "(the real archive is 163 MiB); check data.url in params.yaml"
    )
    assert leftovers(tmp_path / "raw") == []  # the capped part is gone with its staging folder


def test_a_content_length_above_the_cap_is_refused_before_reading(tmp_path: Path, small_cap: int) -> None:
    """The server waits 60 s before its first body byte: a client that read would time out first."""
    handler = streaming_handler(length=small_cap + 1, pause_s=60)
    with (
        serve(tmp_path, handler) as url,
        pytest.raises(PipelineError, match="it is 3,145,729 bytes, past the"),
    ):
        download_cifar(f"{url}/a.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR, timeout_s=5)
    assert leftovers(tmp_path / "raw") == []


def test_bytes_past_the_content_length_are_never_read(
    tmp_path: Path, archive: tuple[Path, str], small_cap: int
) -> None:
    """A body that goes on after the length it announced: the archive is the announced bytes."""
    path, md5 = archive
    handler = streaming_handler(prefix=path.read_bytes(), length=path.stat().st_size)
    with serve(tmp_path, handler) as url:
        download_cifar(f"{url}/a.tar.gz", md5, tmp_path / "raw" / BATCH_DIR)
    assert load_split(tmp_path / "raw" / BATCH_DIR, "test")[0].shape == (20, 32, 32, 3)


def test_a_local_file_above_the_cap_is_refused(tmp_path: Path, small_cap: int) -> None:
    big = tmp_path / "big.tar.gz"
    big.write_bytes(b"\0" * (small_cap + 1))
    with pytest.raises(PipelineError, match="it is 3,145,729 bytes, past the 3,145,728-byte cap"):
        download_cifar(str(big), "0" * 32, tmp_path / "raw" / BATCH_DIR)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:80a/x.tar.gz", "has port '80a', not a number from 1 to 65535"),
        ("http://127.0.0.1:99999/x.tar.gz", "has port '99999', not a number from 1 to 65535"),
        ("http://[::1/x.tar.gz", "has an IPv6 host whose brackets are not closed"),
        ("ftp://mirror.example/x.tar.gz", "has scheme 'ftp'; use http://, https://, file:// or a plain path"),
        ("gopher:x.tar.gz", "has scheme 'gopher'"),
        ("http:///x.tar.gz", "has no host"),
        (
            "file://mirror.example/x.tar.gz",
            "names host 'mirror.example'; a file URL is file:///ABSOLUTE/PATH",
        ),
        ("http://127.0.0.1/a b.tar.gz", "contains a space or control character"),
    ],
)
def test_malformed_urls_are_one_line(tmp_path: Path, url: str, problem: str) -> None:
    with pytest.raises(PipelineError) as err:
        download_cifar(url, "0" * 32, tmp_path / "raw" / BATCH_DIR)
    assert str(err.value).startswith(f"cannot download {url}: the URL {problem}")
    assert str(err.value).endswith("; check data.url in params.yaml")
    assert leftovers(tmp_path / "raw") == []


def odd_file(tmp_path: Path, kind: str) -> Path:
    """A FIFO nobody writes to, an endless device, or a directory."""
    if kind == "fifo":
        os.mkfifo(tmp_path / "cifar.fifo")
        return tmp_path / "cifar.fifo"
    if kind == "device":
        return Path("/dev/zero")
    (tmp_path / "cifar.tar.gz").mkdir()
    return tmp_path / "cifar.tar.gz"


@pytest.mark.parametrize(
    ("kind", "what"), [("fifo", "a fifo"), ("device", "a device"), ("directory", "a directory")]
)
@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file-url"])
def test_odd_local_files_are_refused_unread(tmp_path: Path, kind: str, what: str, as_uri: bool) -> None:
    path = odd_file(tmp_path, kind)
    url = path.as_uri() if as_uri else str(path)
    with pytest.raises(PipelineError) as err:
        download_cifar(url, "0" * 32, tmp_path / "raw" / BATCH_DIR)
    assert (
        str(err.value)
        == f"cannot download {url}: {path} is {what}, not the archive; check data.url in params.yaml"
    )


def test_a_killed_run_s_staging_is_removed_by_the_next(tmp_path: Path, archive: tuple[Path, str]) -> None:
    path, md5 = archive
    stale = tmp_path / "raw" / f"{download.STAGING_PREFIX}abc123"
    stale.mkdir(parents=True)
    (stale / download.ARCHIVE_NAME).write_bytes(b"half an archive")
    download_cifar(str(path), md5, tmp_path / "raw" / BATCH_DIR)
    assert leftovers(tmp_path / "raw") == [BATCH_DIR]
