"""A hostile archive behind ``data.url`` (its md5 from the same place) must not write outside the
staging folder, leak host files into the output, blow up the disk, or run code when its batches
are read. The archives are the tests' small real-format one with members added or replaced."""

import errno
import io
import logging
import os
import pickle
import struct
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from pipeline.common.errors import PipelineError
from pipeline.data.cifar import BATCH_DIR, REQUIRED_FILES, load_split
from pipeline.data.unpickle import load_pickle
from pipeline.download import archive as archive_module
from pipeline.download import fetch
from pipeline.download.archive import extract_cifar
from pipeline.download.fetch import download_cifar
from tests.helpers import photo_crops, write_archive

Member = tuple[tarfile.TarInfo, bytes | None]

# The official batches.meta, byte for byte: Python 2 cPickle, protocol 2.
OFFICIAL_META = (
    b"\x80\x02}q\x00(U\x13num_cases_per_batchq\x01M\x10'U\x0blabel_namesq\x02]q\x03(U\x08airplaneq\x04"
    b"U\nautomobileq\x05U\x04birdq\x06U\x03catq\x07U\x04deerq\x08U\x03dogq\tU\x04frogq\nU\x05horseq\x0b"
    b"U\x04shipq\x0cU\x05truckq\reU\x07num_visq\x0eM\x00\x0cu."
)


def official_batch(rows: np.ndarray, labels: list[int]) -> bytes:
    """A batch in the official files' opcodes: Python 2 strings, numpy 1.x's ``numpy.core`` name."""

    def text(s: str) -> bytes:
        return b"U" + bytes([len(s)]) + s.encode()

    dtype = (
        b"cnumpy\ndtype\nX\x02\x00\x00\x00u1\x89\x88\x87R"  # numpy.dtype("u1", False, True)
        b"(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # its state
    )
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01"
        + b"M"
        + struct.pack("<H", len(rows))
        + b"M\x00\x0c\x86"
        + dtype
        + b"\x89T"
        + struct.pack("<I", rows.nbytes)
        + rows.tobytes()
        + b"tb"
    )
    names = b"".join(text(f"img_{i}.png") for i in range(len(rows)))
    return (
        b"\x80\x02}("
        + text("batch_label")
        + text("testing batch 1 of 1")
        + text("labels")
        + b"]("
        + b"".join(b"K" + bytes([v]) for v in labels)
        + b"e"
        + text("data")
        + array
        + text("filenames")
        + b"]("
        + names
        + b"eu."
    )


def member(name: str, kind: bytes = tarfile.REGTYPE, payload: bytes = b"", link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(payload)
    return info, payload if kind == tarfile.REGTYPE else None


def batch(rows: object, labels: object) -> bytes:
    return pickle.dumps({"batch_label": "x", "labels": labels, "data": rows, "filenames": []}, protocol=2)


def rebuild(path: Path, extra: Sequence[Member] = (), replace: dict[str, bytes] | None = None) -> str:
    """Rewrite the small archive at ``path`` with ``replace``d batches and ``extra`` members; its md5."""
    write_archive(path)
    with tarfile.open(path) as old:
        kept = [(m, old.extractfile(m).read()) for m in old.getmembers()]
    with tarfile.open(path, "w:gz") as new:
        for info, payload in kept:
            payload = (replace or {}).get(Path(info.name).name, payload)
            info.size = len(payload)
            new.addfile(info, io.BytesIO(payload))
        for info, payload in extra:
            new.addfile(info, None if payload is None else io.BytesIO(payload))
    return fetch.calculate_md5(path)


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host file the archive must never reach or copy (the tests' stand-in for /etc/passwd)."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("host secret")
    return secret


@pytest.fixture
def extract_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The members tarfile was asked to write, to show refusals come before any write."""
    calls: list[str] = []
    real = tarfile.TarFile.extract

    def spy(self: tarfile.TarFile, member: tarfile.TarInfo, *args: object, **kwargs: object) -> None:
        calls.append(member.name)
        real(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", spy)
    return calls


def refused(tmp_path: Path, url: str, md5: str) -> str:
    """``download_cifar``'s one-line error; fails if it wrote anything anywhere under ``tmp_path``."""
    out = tmp_path / "work" / "raw" / BATCH_DIR
    out.parent.mkdir(parents=True, exist_ok=True)  # download_cifar makes it first thing
    before = tree(tmp_path)
    with pytest.raises(PipelineError) as err:
        download_cifar(url, md5, out)
    assert tree(tmp_path) == before  # no escapee, no staging folder, no partial output
    assert "\n" not in str(err.value) and url in str(err.value)
    return str(err.value)


HOSTILE: dict[str, tuple[Callable[[Path, Path], list[Member]], str]] = {
    "dot-dot": (
        lambda tmp, _: [member("../../escape.txt", payload=b"x")],
        "'../../escape.txt' points outside",
    ),
    "dot-dot-inside": (
        lambda tmp, _: [member(f"{BATCH_DIR}/../../escape.txt", payload=b"x")],
        "points outside it",
    ),
    "absolute": (lambda tmp, _: [member(f"{tmp}/escape.txt", payload=b"x")], "has an absolute path"),
    "symlink-absolute": (
        lambda tmp, secret: [
            member(f"{BATCH_DIR}/link", tarfile.SYMTYPE, link=str(secret.parent)),
            member(f"{BATCH_DIR}/link/escape.txt", payload=b"x"),
        ],
        "'cifar-10-batches-py/link' is a symlink to",
    ),
    "symlink-relative": (
        lambda tmp, _: [
            member(f"{BATCH_DIR}/link", tarfile.SYMTYPE, link="../../.."),
            member(f"{BATCH_DIR}/link/escape.txt", payload=b"x"),
        ],
        "is a symlink to '../../..'",
    ),
    "readme-symlink": (
        lambda tmp, secret: [member(f"{BATCH_DIR}/readme.html", tarfile.SYMTYPE, link=str(secret))],
        "'cifar-10-batches-py/readme.html' is a symlink to",
    ),
    "hardlink": (
        lambda tmp, secret: [member(f"{BATCH_DIR}/readme.html", tarfile.LNKTYPE, link=str(secret))],
        "is a hard link to",
    ),
    "fifo": (lambda tmp, _: [member(f"{BATCH_DIR}/readme.html", tarfile.FIFOTYPE)], "is a fifo"),
    "device": (lambda tmp, _: [member(f"{BATCH_DIR}/readme.html", tarfile.CHRTYPE)], "is a device file"),
    "folder-as-batch": (
        lambda tmp, _: [member(f"{BATCH_DIR}/test_batch", tarfile.DIRTYPE)],
        "is a folder where",
    ),
    "batch-dir-as-file": (lambda tmp, _: [member(BATCH_DIR, payload=b"x")], "is a file where"),
    "twice": (lambda tmp, _: [member(f"{BATCH_DIR}/test_batch", payload=b"x")], "is listed twice"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_members_are_refused_before_anything_is_written(
    tmp_path: Path, outside: Path, extract_calls: list[str], case: str
) -> None:
    build, message = HOSTILE[case]
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = rebuild(path, extra=build(tmp_path, outside))
    error = refused(tmp_path, path.as_uri(), md5)
    assert "is not the CIFAR-10 python archive: member" in error and message in error
    assert error.endswith("; check data.url in params.yaml")
    assert extract_calls == []
    assert outside.read_text() == "host secret"


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "MAX_MEMBERS", 3)
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    error = refused(tmp_path, str(path), write_archive(path))
    assert "has more than 3 members" in error


def test_decompression_bomb_is_refused_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extract_calls: list[str]
) -> None:
    monkeypatch.setattr(archive_module, "MAX_UNPACKED_BYTES", 2**20)
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = rebuild(path, extra=[member(f"{BATCH_DIR}/zeros", payload=bytes(4 * 2**20))])
    assert path.stat().st_size < 2**20  # small download, big unpack
    error = refused(tmp_path, str(path), md5)
    assert "member 'cifar-10-batches-py/zeros' takes it past 1,048,576 unpacked bytes" in error
    assert extract_calls == []


def test_bytes_written_are_counted_even_if_a_header_check_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "_problem", lambda *_: None)
    monkeypatch.setattr(archive_module, "MAX_UNPACKED_BYTES", 50_000)
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    error = refused(tmp_path, path.as_uri(), write_archive(path))
    assert "it unpacks to more than 50,000 bytes" in error


def test_unknown_regular_files_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    extra = [member(f"{BATCH_DIR}/extra.txt", payload=b"x"), member("notes", tarfile.DIRTYPE)]
    extra.append(member("notes/readme", payload=b"x"))
    md5 = rebuild(path, extra=extra)
    out = tmp_path / "work" / "raw" / BATCH_DIR
    with caplog.at_level(logging.WARNING, logger="pipeline.download.archive"):
        download_cifar(path.as_uri(), md5, out)
    assert tree(tmp_path / "work") == [
        "raw",
        f"raw/{BATCH_DIR}",
        *(f"raw/{BATCH_DIR}/{n}" for n in sorted(REQUIRED_FILES)),
    ]
    assert (
        "skipping 'cifar-10-batches-py/extra.txt'" in caplog.text and "skipping 'notes/readme'" in caplog.text
    )
    assert load_split(out, "train")[0].shape == (40, 32, 32, 3)


def test_full_disk_while_unpacking_is_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    write_archive(path)
    real = tarfile.TarFile.extract

    def fill_up(self: tarfile.TarFile, member: tarfile.TarInfo, *args: object, **kwargs: object) -> None:
        if member.name.endswith("data_batch_3"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", fill_up)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(PipelineError) as err:
        extract_cifar(path, dest, "https://mirror.example/cifar.tgz")
    assert str(err.value) == (
        f"no space left on device while unpacking https://mirror.example/cifar.tgz into {dest}; "
        "free space and rerun `dvc repro download`"
    )
    assert list(dest.iterdir()) == []  # batches 1 and 2 were written, then removed


def test_full_disk_while_downloading_is_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def onto_a_full_disk(url: str, target: Path, timeout_s: float) -> None:
        calls.append(url)
        fetch._stream(io.BytesIO(b"x" * 100), 100, Path("/dev/full"), url)  # the kernel's ENOSPC

    monkeypatch.setattr(fetch, "_http_get", onto_a_full_disk)
    with pytest.raises(PipelineError) as err:
        download_cifar(
            "https://mirror.example/cifar-10-python.tar.gz", "0" * 32, tmp_path / "raw" / BATCH_DIR
        )
    assert (
        str(err.value) == "no space left on device writing /dev/full; free some space and rerun `dvc repro`"
    )
    assert len(calls) == 1 and list((tmp_path / "raw").iterdir()) == []  # no retry, no staging left


def test_full_disk_while_copying_is_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = write_archive(path)
    copy = fetch._copy_local
    monkeypatch.setattr(fetch, "_copy_local", lambda url, target: copy(url, Path("/dev/full")))
    with pytest.raises(PipelineError, match=r"^no space left on device writing /dev/full; free some space"):
        download_cifar(str(path), md5, tmp_path / "raw" / BATCH_DIR)
    assert list((tmp_path / "raw").iterdir()) == []


def test_a_non_gzip_file_is_still_not_a_readable_archive(tmp_path: Path) -> None:
    page = tmp_path / "page.tar.gz"
    page.write_text("<html>Service unavailable</html>")
    with pytest.raises(PipelineError, match=r"^http://x/page\.tar\.gz is not a readable \.tar\.gz archive"):
        extract_cifar(page, tmp_path / "dest", "http://x/page.tar.gz")


def test_official_format_batch_and_meta_load(tmp_path: Path) -> None:
    rows = photo_crops(3).transpose(0, 3, 1, 2).reshape(3, -1)
    (tmp_path / "test_batch").write_bytes(official_batch(rows, [3, 0, 9]))
    (tmp_path / "batches.meta").write_bytes(OFFICIAL_META)
    images, labels = load_split(tmp_path, "test")
    assert np.array_equal(images.transpose(0, 3, 1, 2).reshape(3, -1), rows) and labels.tolist() == [3, 0, 9]
    meta = load_pickle(tmp_path / "batches.meta")
    assert meta["label_names"][:2] == ["airplane", "automobile"] and meta["num_vis"] == 3072


class RunsCode:
    """What a hostile batch pickles in place of its labels."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


class HugeArray:
    """An uninitialised array far bigger than its pickle: ``numpy.ndarray`` called with a shape."""

    def __reduce__(self) -> tuple[object, tuple[tuple[int, int], str]]:
        return np.ndarray, ((10**6, 3072), "u1")


def _rows(n: int = 8) -> np.ndarray:
    return photo_crops(n).transpose(0, 3, 1, 2).reshape(n, -1)


def memo_bomb(depth: int = 3) -> list:
    """Nested lists that reuse one 3,072-pixel row through pickle's memo: a few KB of pickle that
    ``np.asarray`` would make a ``1000**(depth - 1) × 3072`` array of (24 GB at depth 3)."""
    rows: list = [0] * 3072
    for _ in range(depth - 1):
        rows = [rows] * 1000
    return rows


def _memoised(s: bytes) -> bytes:
    """A protocol-2 batch built by hand around ``s``: opcodes that ``pickle.dumps`` never writes."""
    return b"\x80\x02}(U\x06labels]U\x04data" + s + b"u."


def encode_bomb(copies: int = 200) -> bytes:
    """``_codecs.encode`` of one memoised 1 MB string, ``copies`` times: 200 MB from a 1 MB file."""
    text = b"X" + (2**20).to_bytes(4, "little") + b"a" * 2**20 + b"q\x01"
    call = b"c_codecs\nencode\nq\x00" + text + b"U\x06latin1q\x02\x86q\x03]("
    return _memoised(call + b"h\x00h\x03R" * copies + b"e")


def reconstruct_with_a_shape() -> bytes:
    """numpy's ``_reconstruct`` asked for a (10⁶, 3072) array, where numpy's pickles always ask (0,)."""
    return _memoised(
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nJ@B\x0f\x00M\x00\x0c\x86U\x01b\x87R"
    )


BAD_BATCHES: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "reduce-os-system-p2": (
        lambda tmp: batch(_rows(), RunsCode(tmp / "pwned")),
        "holds a pickled 'posix.system'",
    ),
    "reduce-os-system-p5": (
        lambda tmp: pickle.dumps({"labels": RunsCode(tmp / "pwned"), "data": _rows()}, protocol=5),
        "holds a pickled 'posix.system'",
    ),
    "labels-out-of-range": (
        lambda _: batch(_rows(), [12, 0, -1, 3, 4, 5, 6, 12]),
        "holds labels [-1, 12] outside 0..9",
    ),
    "float-pixels": (
        lambda _: batch(_rows().astype(np.float64) + 0.5, list(range(8))),
        "pixels of type float64",
    ),
    "int16-pixels": (lambda _: batch(_rows().astype(np.int16) + 200, list(range(8))), "of type int16"),
    "float-labels": (lambda _: batch(_rows(), [1.0] * 8), "holds a label of type float, expected 8 integers"),
    "bool-labels": (lambda _: batch(_rows(), [True] * 8), "holds a label of type bool"),
    "huge-int-label": (lambda _: batch(_rows(), [10**5000, *range(7)]), "holds labels ['…'] outside 0..9"),
    "too-many-rows": (
        lambda _: batch(np.zeros((10_001, 3072), np.uint8), [0] * 10_001),
        "(10001, 3072), expected (N, 3072) with N ≤ 10000",
    ),
    "wrong-shape": (lambda _: batch(_rows()[:, :3071], list(range(8))), "data of shape (8, 3071)"),
    "3-d-data": (lambda _: batch(_rows().reshape(8, 3, 1024), list(range(8))), "data of shape (8, 3, 1024)"),
    "ndarray-called-with-a-shape": (lambda _: batch(HugeArray(), [0] * 10), "is not a CIFAR-10 batch"),
    "reconstruct-with-a-shape": (lambda _: reconstruct_with_a_shape(), "_reconstruct called as numpy never"),
    "encode-bomb": (lambda _: encode_bomb(), "_codecs.encode makes more bytes than the file holds"),
    "memo-bomb-data": (lambda _: batch(memo_bomb(), [0] * 1000), "data of type list, expected a numpy array"),
    "memo-bomb-labels": (lambda _: batch(_rows(), memo_bomb()), "holds 1000 labels, expected 8 integers"),
    "nested-labels": (lambda _: batch(_rows(), [[0]] * 8), "holds a label of type list"),
    "tuple-labels": (lambda _: batch(_rows(), tuple(range(8))), "labels of type tuple, expected 8"),
    "float-array-labels": (lambda _: batch(_rows(), np.zeros(8)), "labels of type float64 and shape (8,)"),
    "2-d-array-labels": (lambda _: batch(_rows(), np.zeros((8, 1), int)), "and shape (8, 1), expected 8"),
    "array-labels-out-of-range": (
        lambda _: batch(_rows(), np.array([0, 1, 2, 3, 4, 5, 6, 2**63], np.uint64)),
        f"holds labels [{2**63}] outside 0..9",
    ),
    "not-a-dict": (lambda _: pickle.dumps([_rows(), list(range(8))], protocol=2), "holds a list, not a dict"),
    "no-labels": (lambda _: pickle.dumps({"data": _rows()}, protocol=2), "not a dict with data and labels"),
}


@pytest.mark.parametrize("case", BAD_BATCHES)
def test_bad_batches_are_refused_when_read(tmp_path: Path, case: str) -> None:
    build, message = BAD_BATCHES[case]
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    md5 = rebuild(path, replace={"data_batch_2": build(tmp_path)})
    out = tmp_path / "work" / "raw" / BATCH_DIR
    download_cifar(path.as_uri(), md5, out)  # a well-formed tar: only reading the batch can tell
    with pytest.raises(PipelineError) as err:
        load_split(out, "train")
    error = str(err.value)
    assert error.startswith(f"{out / 'data_batch_2'} ") and message in error and "\n" not in error
    assert "rerun `dvc repro --force download`" in error
    assert not (tmp_path / "pwned").exists()


def test_memory_bombs_are_small_files() -> None:
    """The bombs above are bombs: a few KB of pickle standing for far bigger objects."""
    assert len(batch(memo_bomb(), [0] * 1000)) < 20_000
    assert len(encode_bomb()) < 1.1 * 2**20
    assert len(pickle.dumps(HugeArray(), protocol=2)) < 200


def test_integer_array_labels_load(tmp_path: Path) -> None:
    (tmp_path / "test_batch").write_bytes(batch(_rows(3), np.array([3, 0, 9], np.uint8)))
    images, labels = load_split(tmp_path, "test")
    assert images.shape == (3, 32, 32, 3) and labels.dtype == np.int64 and labels.tolist() == [3, 0, 9]


def test_a_split_without_images_is_one_line_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "site" / "cifar-10-python.tar.gz"
    rows = np.zeros((0, 3072), np.uint8)  # protocol 4: protocol 2 writes its empty bytes as a call
    empty = pickle.dumps({"batch_label": "x", "labels": [], "data": rows, "filenames": []}, protocol=4)
    md5 = rebuild(path, replace={"test_batch": empty})
    out = tmp_path / "work" / "raw" / BATCH_DIR
    download_cifar(path.as_uri(), md5, out)
    assert len(load_split(out, "train")[1]) == 40
    with pytest.raises(PipelineError) as err:
        load_split(out, "test")
    assert str(err.value).startswith(f"{out} holds no test images (its test batches are empty); ")
    assert "rerun `dvc repro --force download`" in str(err.value)
