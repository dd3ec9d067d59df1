"""Read the CIFAR-10 "python version" batches.

torchvision's ``CIFAR10`` class checks the official per-file md5s, which rejects mirrors and the
small test archives, so the pickles are read directly, through an unpickler that cannot run code
(:mod:`pipeline.data.unpickle`), and their contents are checked rather than cast: a mirror's
labels 12 or pixels 300.7 would otherwise become silent garbage.
"""

import pickle
from pathlib import Path

import numpy as np

from pipeline.common.errors import PipelineError
from pipeline.data.unpickle import load_pickle

BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
SPLITS = {"train": TRAIN_BATCHES, "test": TEST_BATCHES}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
REQUIRED_FILES = (*TRAIN_BATCHES, *TEST_BATCHES, "batches.meta")
ROWS_PER_BATCH = 10_000
NOT_REAL = (
    "the archive is not the real one; fix data.url/data.md5 in params.yaml, "
    "then rerun `dvc repro --force download`"
)


def missing_files(batch_dir: Path) -> list[str]:
    """Names of the archive members that ``batch_dir`` lacks (empty when complete)."""
    return [name for name in REQUIRED_FILES if not (batch_dir / name).is_file()]


# What pickle and numpy raise on a truncated or corrupted batch (found by fuzzing one).
MALFORMED = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    KeyError,
    IndexError,
    AttributeError,
    TypeError,
    ValueError,
    OverflowError,
    MemoryError,
)


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A batch's ``(N, 3072)`` uint8 rows and int64 labels, checked rather than cast.

    Every field must already be what the official batches hold, checked on the object itself before
    anything is converted: a nested list reusing one row through pickle's memo is a few KB of file
    that ``np.asarray`` would turn into gigabytes.
    """
    try:
        batch = load_pickle(path)
    except MALFORMED as err:
        raise PipelineError(
            f"{path} is not a CIFAR-10 batch ({err}); rerun `dvc repro --force download`"
        ) from err
    if not isinstance(batch, dict) or not {"data", "labels"} <= batch.keys():
        raise PipelineError(
            f"{path} holds a {type(batch).__name__}, not a dict with data and labels; {NOT_REAL}"
        )
    data, labels = batch["data"], batch["labels"]
    if type(data) is not np.ndarray:
        raise PipelineError(
            f"{path} holds data of type {type(data).__name__}, expected a numpy array; {NOT_REAL}"
        )
    if data.dtype != np.uint8:
        raise PipelineError(f"{path} holds pixels of type {data.dtype}, expected uint8 (0..255); {NOT_REAL}")
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) > ROWS_PER_BATCH:
        raise PipelineError(
            f"{path} holds data of shape {data.shape}, "
            f"expected (N, 3072) with N ≤ {ROWS_PER_BATCH}; {NOT_REAL}"
        )
    return data, _labels(path, labels, len(data))


def _labels(path: Path, labels: object, rows: int) -> np.ndarray:
    """The batch's labels as int64: a list of plain ints (the official files) or a 1-D integer array,
    one per row, each in 0..9; the length and item types are checked before anything is converted."""
    expected = f"expected {rows} integers 0..9 (one per image); {NOT_REAL}"
    if type(labels) is np.ndarray:
        if labels.dtype.kind not in "iu" or labels.shape != (rows,):
            raise PipelineError(
                f"{path} holds labels of type {labels.dtype} and shape {labels.shape}, {expected}"
            )
        bad = np.unique(labels[(labels < 0) | (labels >= len(CLASSES))]).tolist()
    elif type(labels) is list:
        if len(labels) != rows:
            raise PipelineError(f"{path} holds {len(labels)} labels, {expected}")
        odd = next((type(v).__name__ for v in labels if type(v) is not int), None)
        if odd:
            raise PipelineError(f"{path} holds a label of type {odd}, {expected}")
        bad = sorted({v for v in labels if not 0 <= v < len(CLASSES)})
    else:
        raise PipelineError(f"{path} holds labels of type {type(labels).__name__}, {expected}")
    if bad:
        shown = [v if abs(v) < 2**64 else "…" for v in bad[:5]]  # a pickled int may have a million digits
        raise PipelineError(f"{path} holds labels {shown} outside 0..9; {NOT_REAL}")
    return np.array(labels, np.int64)


def load_split(batch_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as uint8 ``(N, 32, 32, 3)`` RGB and labels as int64 ``(N,)`` for ``train``/``test``."""
    parts = [_read_batch(batch_dir / name) for name in SPLITS[split]]
    if not sum(len(lab) for _, lab in parts):
        raise PipelineError(
            f"{batch_dir} holds no {split} images (its {split} batches are empty); {NOT_REAL}"
        )
    data = np.concatenate([d for d, _ in parts])
    labels = np.concatenate([lab for _, lab in parts])
    # Rows are channel-major (R plane, G plane, B plane), each plane row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
