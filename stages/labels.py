"""Stage ``labels``: one-hot label arrays for the train and test splits."""

import numpy as np

from pipeline.atomic import atomic_path
from pipeline.cifar import BATCH_DIR, load_split
from pipeline.labels import one_hot
from pipeline.paths import LABELS_DIR, RAW_DIR, split_file
from pipeline.stage import run_stage


def main() -> None:
    for split in ("train", "test"):
        _, labels = load_split(RAW_DIR / BATCH_DIR, split)
        with atomic_path(split_file(LABELS_DIR, split)) as tmp:
            np.save(tmp, one_hot(labels))


if __name__ == "__main__":
    run_stage(main)
