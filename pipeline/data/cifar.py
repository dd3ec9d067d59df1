"""Read the CIFAR-10 "python version" batches.

torchvision's ``CIFAR10`` class checks the official per-file md5s, which rejects mirrors and the
small test archives, so the pickles are read directly (``encoding="latin1"``, as the data set's
own page documents).
"""

import pickle
from pathlib import Path

import numpy as np

from pipeline.common.errors import PipelineError

BATCH_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
SPLITS = {"train": TRAIN_BATCHES, "test": TEST_BATCHES}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
REQUIRED_FILES = (*TRAIN_BATCHES, *TEST_BATCHES, "batches.meta")


def missing_files(batch_dir: Path) -> list[str]:
    """Names of the archive members that ``batch_dir`` lacks (empty when complete)."""
    return [name for name in REQUIRED_FILES if not (batch_dir / name).is_file()]


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as f:
            batch = pickle.load(f, encoding="latin1")
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as err:
        raise PipelineError(f"{path} is not a CIFAR-10 batch ({err}); rerun `dvc repro download`") from err
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise PipelineError(f"{path} holds data of shape {data.shape}, expected (N, 3072)")
    return data, labels


def load_split(batch_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images as uint8 ``(N, 32, 32, 3)`` RGB and labels as int64 ``(N,)`` for ``train``/``test``."""
    parts = [_read_batch(batch_dir / name) for name in SPLITS[split]]
    data = np.concatenate([d for d, _ in parts])
    labels = np.concatenate([lab for _, lab in parts])
    # Rows are channel-major (R plane, G plane, B plane), each plane row-major.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
