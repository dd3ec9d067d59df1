"""Stage ``train``: fit the model chosen in params.yaml; save it, its per-epoch history and curves.

Each epoch goes to DVCLive as it ends (``dvclive/train.partial/plots`` while the stage runs, so a
running `dvc exp run` can be watched); ``dvclive/train/metrics.json`` sums the run up at the kept
(best validation) epoch, and appears only once every output is written.
"""

import json
import logging
import sys
import time

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from pipeline.common.atomic import atomic_path
from pipeline.common.devices import make_deterministic, resolve_device
from pipeline.common.errors import PipelineError
from pipeline.common.paths import (
    FEATURE_NAMES_FILE,
    FEATURES_DIR,
    FIGURES_DIR,
    FLIPPED_TRAIN_FILE,
    HISTORY_FILE,
    KEPT_EPOCH_FILE,
    LABELS_DIR,
    MODEL_FILE,
    RECIPE_FILE,
    TRAIN_LIVE_DIR,
    split_file,
)
from pipeline.common.settings import load_section
from pipeline.common.stage import run_stage
from pipeline.learning import checkpoint
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.threads import cpu_threads
from pipeline.learning.training import Split, fit, validation_split
from pipeline.reports import figures
from pipeline.reports.live import log_epoch, open_live

log = logging.getLogger("stages.train")


def kept_epoch_marker(table: pd.DataFrame, epoch: int) -> pd.DataFrame:
    """Two rows at ``epoch`` spanning each metric's plotted range: drawn as one more series by DVC's
    `simple` line template, they make a vertical line at the kept epoch in the Loss and Accuracy charts."""
    spans = {
        metric: [table.filter(like=f"_{metric}").min().min(), table.filter(like=f"_{metric}").max().max()]
        for metric in ("loss", "accuracy")
    }
    return pd.DataFrame({"epoch": [epoch, epoch], **spans})


def run_summary(table: pd.DataFrame) -> dict:
    """What `dvc exp show` lists for a run: epochs run and, with validation, the kept epoch and its
    validation and train accuracy (the last epoch's values would describe a model not kept)."""
    summary: dict = {"epochs_run": len(table)}
    if "val_accuracy" in table:
        best = table.loc[table["val_accuracy"].idxmax()]
        summary["best_epoch"] = int(best["epoch"])
        summary["best"] = {name: float(best[name]) for name in ("val_accuracy", "train_accuracy")}
    return summary


def main() -> None:
    params = load_section("train", TrainParams)
    device = resolve_device(params.device, "train.device")
    threads = cpu_threads()
    torch.set_num_threads(threads)
    make_deterministic(device)
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
    x_fit, y_fit = x_all[fit_rows], y_all[fit_rows]
    if FLIPPED_TRAIN_FILE.exists():  # features.augment: flip; the mirrored validation images stay unseen
        x_fit = np.concatenate([x_fit, np.load(FLIPPED_TRAIN_FILE, mmap_mode="r")[fit_rows]])
        y_fit = np.concatenate([y_fit, y_fit])
    scaler = Scaler.fit(params.normalize, x_fit)

    def to_split(x: np.ndarray, y: np.ndarray) -> Split:
        return Split(torch.from_numpy(scaler.transform(x)).to(device), torch.from_numpy(y).to(device))

    val = to_split(x_all[val_rows], y_all[val_rows]) if len(val_rows) else None
    on = f"cpu (threads: {threads})" if device.type == "cpu" else device
    log.info("training %s on %s: %d train, %d val rows", params.model, on, len(x_fit), len(val_rows))
    train = to_split(x_fit, y_fit)
    # A bar on a terminal; in logs (DVC's queue, CI) only the closing line below.
    progress = tqdm(total=params.epochs, desc="train", unit="epoch", disable=not sys.stderr.isatty())

    def on_epoch(row: dict[str, float]) -> None:
        log_epoch(live, row)
        progress.set_postfix_str(f"val acc {row['val_accuracy']:.3f}" if "val_accuracy" in row else "")
        progress.update()

    started = time.perf_counter()
    # dvclive/train appears only once everything below is written: a killed run leaves no result.
    with open_live(TRAIN_LIVE_DIR) as live:
        model, history = fit(
            params, train, val, test=to_split(x_test, y_test), num_classes=num_classes, on_epoch=on_epoch
        )
        progress.close()
        table = pd.DataFrame(history)
        live.summary = run_summary(table)
        live.step = None  # no "step" in the summary: it describes the kept epoch, not the last one
        # Wall time goes to the log, never to a tracked file: identical runs keep an identical dvc.lock.
        log.info("%d epochs in %.1f s", len(table), time.perf_counter() - started)
        summary = {key: live.summary[key] for key in ("epochs_run", "best_epoch") if key in live.summary}
        names = json.loads(FEATURE_NAMES_FILE.read_text())
        recipe = json.loads(RECIPE_FILE.read_text())
        checkpoint.save(MODEL_FILE, checkpoint.Checkpoint(model, scaler, params, names, recipe, summary))
        kept = summary.get("best_epoch", len(table))  # without validation the last epoch is kept
        with atomic_path(HISTORY_FILE) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g")
        with atomic_path(KEPT_EPOCH_FILE) as tmp:
            kept_epoch_marker(table, kept).to_csv(tmp, index=False, float_format="%.6g")
        for metric in ("loss", "accuracy"):
            figures.curves(table, metric, FIGURES_DIR / f"{metric}.png", kept_epoch=kept)
    if val is None:
        print(f"trained {kept} epochs, no validation; train accuracy {table['train_accuracy'].iat[-1]:.4f}")
    else:
        print(f"best epoch {kept}, validation accuracy {live.summary['best']['val_accuracy']:.4f}")


if __name__ == "__main__":
    run_stage(main)
