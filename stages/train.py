"""Stage ``train``: fit the model chosen in params.yaml; save it, its per-epoch history and curves."""

import json
import logging

import numpy as np
import pandas as pd
import torch

from pipeline.common.atomic import atomic_path
from pipeline.common.devices import resolve_device
from pipeline.common.errors import PipelineError
from pipeline.common.paths import (
    FEATURE_NAMES_FILE,
    FEATURES_DIR,
    FIGURES_DIR,
    HISTORY_FILE,
    LABELS_DIR,
    MODEL_FILE,
    RECIPE_FILE,
    split_file,
)
from pipeline.common.settings import load_section
from pipeline.common.stage import run_stage
from pipeline.learning import checkpoint
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.training import Split, fit, validation_split
from pipeline.reports import figures

log = logging.getLogger("stages.train")


def main() -> None:
    params = load_section("train", TrainParams)
    device = resolve_device(params.device, "train.device")
    torch.use_deterministic_algorithms(device.type == "cpu")
    x_all = np.load(split_file(FEATURES_DIR, "train"))
    one_hot = np.load(split_file(LABELS_DIR, "train"))
    y_all, num_classes = one_hot.argmax(1), one_hot.shape[1]
    x_test = np.load(split_file(FEATURES_DIR, "test"))
    y_test = np.load(split_file(LABELS_DIR, "test")).argmax(1)
    fit_rows, val_rows = validation_split(len(x_all), params.val_fraction, params.seed)
    if len(fit_rows) < 2 or (params.val_fraction and not len(val_rows)):
        raise PipelineError(
            f"train.val_fraction: {params.val_fraction} of {len(x_all)} training rows leaves {len(fit_rows)} "
            f"to train on and {len(val_rows)} to validate on; choose a fraction that leaves both"
        )
    scaler = Scaler.fit(params.normalize, x_all[fit_rows])

    def to_split(x: np.ndarray, y: np.ndarray) -> Split:
        return Split(torch.from_numpy(scaler.transform(x)).to(device), torch.from_numpy(y).to(device))

    val = to_split(x_all[val_rows], y_all[val_rows]) if len(val_rows) else None
    log.info("training %s on %s: %d train, %d val rows", params.model, device, len(fit_rows), len(val_rows))
    train = to_split(x_all[fit_rows], y_all[fit_rows])
    model, history = fit(params, train, val, test=to_split(x_test, y_test), num_classes=num_classes)
    names = json.loads(FEATURE_NAMES_FILE.read_text())
    recipe = json.loads(RECIPE_FILE.read_text())
    table = pd.DataFrame(history)
    summary = {"epochs_run": len(table)}
    if val is not None:
        summary["best_epoch"] = int(table.loc[table["val_accuracy"].idxmax(), "epoch"])
    checkpoint.save(MODEL_FILE, checkpoint.Checkpoint(model, scaler, params, names, recipe, summary))
    with atomic_path(HISTORY_FILE) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    for metric in ("loss", "accuracy"):
        figures.curves(table, metric, FIGURES_DIR / f"{metric}.png")


if __name__ == "__main__":
    run_stage(main)
