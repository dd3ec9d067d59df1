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
    """A batch's ``(N, 3072)`` uint8 rows and int64 labels, checked rather than cast."""
    try:
        batch = load_pickle(path)
        data = np.asarray(batch["data"])
        labels = np.asarray(batch["labels"])
    except MALFORMED as err:
        raise PipelineError(
            f"{path} is not a CIFAR-10 batch ({err}); rerun `dvc repro --force download`"
        ) from err
    # The row cap comes before any full pass: an allowed ``numpy.ndarray((10**7, 3072))`` is a tiny
    # pickle whose uninitialised memory only fills up when touched.
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) > ROWS_PER_BATCH:
        raise PipelineError(
            f"{path} holds data of shape {data.shape}, "
            f"expected (N, 3072) with N ≤ {ROWS_PER_BATCH}; {NOT_REAL}"
        )
    if labels.shape != (len(data),):
        raise PipelineError(f"{path} holds {len(data)} images but labels of shape {labels.shape}; {NOT_REAL}")
    if not np.issubdtype(data.dtype, np.integer):  # bool and float are not
        raise PipelineError(f"{path} holds pixels of type {data.dtype}, expected integers 0..255; {NOT_REAL}")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise PipelineError(
            f"{path} holds pixel values {data.min()}..{data.max()}, expected 0..255; {NOT_REAL}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise PipelineError(f"{path} holds labels of type {labels.dtype}, expected integers 0..9; {NOT_REAL}")
    bad = np.unique(labels[(labels < 0) | (labels >= len(CLASSES))])
    if bad.size:
        raise PipelineError(f"{path} holds labels {bad[:5].tolist()} outside 0..9; {NOT_REAL}")
    return data.astype(np.uint8, copy=False), labels.astype(np.int64, copy=False)


def load_split(batch_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as uint8 ``(N, 32, 32, 3)`` RGB and labels as int64 ``(N,)`` for ``train``/``test``."""
    parts = [_read_batch(batch_dir / name) for name in SPLITS[split]]
    data = np.concatenate([d for d, _ in parts])
    labels = np.concatenate([lab for _, lab in parts])
    # Rows are channel-major (R plane, G plane, B plane), each plane row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
