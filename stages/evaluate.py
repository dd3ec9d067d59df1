"""Stage ``evaluate``: test metrics (DVC metrics), confusion data and PNG figures (DVC plots)."""

import json

import numpy as np
import pandas as pd
import torch

from pipeline import checkpoint, figures
from pipeline.atomic import atomic_path
from pipeline.cifar import CLASSES
from pipeline.evaluation import evaluate
from pipeline.paths import (
    CONFUSION_FILE,
    FEATURES_DIR,
    FIGURES_DIR,
    HISTORY_FILE,
    LABELS_DIR,
    METRICS_FILE,
    MODEL_FILE,
    PER_CLASS_FILE,
    split_file,
)
from pipeline.stage import run_stage
from pipeline.training import Split


def main() -> None:
    model, scaler, params, _ = checkpoint.load(MODEL_FILE, len(CLASSES))
    x_test = scaler.transform(np.load(split_file(FEATURES_DIR, "test")))
    y_test = np.load(split_file(LABELS_DIR, "test")).argmax(1)
    test = Split(torch.from_numpy(x_test), torch.from_numpy(y_test))
    metrics, per_class, predicted, matrix = evaluate(model, test, params.loss, CLASSES)
    history = pd.read_csv(HISTORY_FILE)
    if "val_accuracy" in history:
        metrics["best_epoch"] = int(history.loc[history["val_accuracy"].idxmax(), "epoch"])
    metrics["epochs_run"] = int(history["epoch"].max())
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
    for metric in ("loss", "accuracy"):
        figures.curves(history, metric, FIGURES_DIR / f"{metric}.png")


if __name__ == "__main__":
    run_stage(main)
