"""Stage ``evaluate``: test metrics (DVCLive summary, a DVC metric), per-class and confusion data,
the confusion PNG and a grid of misclassified test images (DVC plots)."""

import numpy as np
import pandas as pd

from pipeline.common.atomic import atomic_path
from pipeline.common.paths import (
    CONFUSION_FILE,
    EVALUATE_LIVE_DIR,
    FIGURES_DIR,
    MODEL_FILE,
    PER_CLASS_FILE,
    RAW_DIR,
)
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR, CLASSES, load_split
from pipeline.learning import checkpoint
from pipeline.learning.dataset import test_split
from pipeline.reports import figures
from pipeline.reports.live import open_live
from pipeline.reports.metrics import evaluate


def main() -> None:
    saved = checkpoint.load(MODEL_FILE, len(CLASSES))
    test = test_split(saved.scaler)
    y_test = test.y.numpy()
    metrics, per_class, predicted, matrix = evaluate(saved.predictor, test, saved.params.loss, CLASSES)
    images, _ = load_split(RAW_DIR / BATCH_DIR, "test")
    with atomic_path(PER_CLASS_FILE) as tmp:
        pd.DataFrame({"class": list(per_class), "accuracy": list(per_class.values())}).to_csv(
            tmp, index=False
        )
    names = np.array(CLASSES)
    with atomic_path(CONFUSION_FILE) as tmp:
        pd.DataFrame({"actual": names[y_test], "predicted": names[predicted]}).to_csv(tmp, index=False)
    figures.confusion(matrix, CLASSES, FIGURES_DIR / "confusion.png")
    with open_live(EVALUATE_LIVE_DIR) as live:
        for name, value in metrics["test"].items():
            live.log_metric(f"test/{name}", value, plot=False)
        live.log_image("misclassified.png", figures.misclassified(images, y_test, predicted, CLASSES))
    print(f"test accuracy {metrics['test']['accuracy']:.4f}, loss {metrics['test']['loss']:.4f}")


if __name__ == "__main__":
    run_stage(main)
