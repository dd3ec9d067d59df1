"""Stage ``labels``: one-hot label arrays for the train and test splits."""

import numpy as np

from pipeline.common.atomic import atomic_path
from pipeline.common.paths import LABELS_DIR, RAW_DIR, split_file
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR, load_split
from pipeline.data.labels import one_hot


def main() -> None:
    for split in ("train", "test"):
        _, labels = load_split(RAW_DIR / BATCH_DIR, split)
        with atomic_path(split_file(LABELS_DIR, split)) as tmp:
            np.save(tmp, one_hot(labels))


if __name__ == "__main__":
    run_stage(main)
