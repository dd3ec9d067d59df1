"""Stage ``labels``: one-hot label arrays (the lectures' training targets) for both splits."""

import numpy as np

from pipeline.common.atomic import atomic_path
from pipeline.common.paths import LABELS_DIR, RAW_DIR, split_file
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR, CLASSES, load_split


def one_hot(labels: np.ndarray, num_classes: int = len(CLASSES)) -> np.ndarray:
    """int ``(N,)`` class indices (checked to lie in range when the batches are read) → float32
    ``(N, num_classes)`` one-hot rows."""
    return np.eye(num_classes, dtype=np.float32)[labels]


def main() -> None:
    for split in ("train", "test"):
        _, labels = load_split(RAW_DIR / BATCH_DIR, split)
        with atomic_path(split_file(LABELS_DIR, split)) as tmp:
            np.save(tmp, one_hot(labels))


if __name__ == "__main__":
    run_stage(main)
