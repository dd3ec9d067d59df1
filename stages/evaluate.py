"""Stage ``evaluate``: test metrics (DVC metrics), per-class and confusion data, confusion PNG (DVC plots)."""

import json

import numpy as np
import pandas as pd
import torch

from pipeline.common.atomic import atomic_path
from pipeline.common.paths import (
    CONFUSION_FILE,
    FEATURES_DIR,
    FIGURES_DIR,
    LABELS_DIR,
    METRICS_FILE,
    MODEL_FILE,
    PER_CLASS_FILE,
    split_file,
)
from pipeline.common.stage import run_stage
from pipeline.data.cifar import CLASSES
from pipeline.learning import checkpoint
from pipeline.learning.training import Split
from pipeline.reports import figures
from pipeline.reports.metrics import evaluate


def main() -> None:
    saved = checkpoint.load(MODEL_FILE, len(CLASSES))
    x_test = saved.scaler.transform(np.load(split_file(FEATURES_DIR, "test")))
    y_test = np.load(split_file(LABELS_DIR, "test")).argmax(1)
    test = Split(torch.from_numpy(x_test), torch.from_numpy(y_test))
    metrics, per_class, predicted, matrix = evaluate(saved.model, test, saved.params.loss, CLASSES)
    metrics.update(saved.summary)
    with atomic_path(METRICS_FILE) as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    with atomic_path(PER_CLASS_FILE) as tmp:
        pd.DataFrame({"class": list(per_class), "accuracy": list(per_class.values())}).to_csv(
            tmp, index=False
        )
    names = np.array(CLASSES)
    with atomic_path(CONFUSION_FILE) as tmp:
        pd.DataFrame({"actual": names[y_test], "predicted": names[predicted]}).to_csv(tmp, index=False)
    figures.confusion(matrix, CLASSES, FIGURES_DIR / "confusion.png")


if __name__ == "__main__":
    run_stage(main)
