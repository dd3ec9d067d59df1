"""What the train stage reports about a fit: the per-epoch table and curves, the kept-epoch marker
the Loss and Accuracy charts draw, and the summary `dvc exp show` lists."""

from pathlib import Path

import pandas as pd

from pipeline.common.atomic import atomic_path
from pipeline.reports import figures


def run_summary(table: pd.DataFrame, kept_epoch: int) -> dict:
    """Epochs run and, with validation, the kept epoch and its validation and train accuracy (the last
    epoch's values would describe a model not kept)."""
    summary: dict = {"epochs_run": len(table)}
    if "val_accuracy" in table:
        kept = table.loc[table["epoch"] == kept_epoch].iloc[0]
        summary["best_epoch"] = kept_epoch
        summary["best"] = {name: float(kept[name]) for name in ("val_accuracy", "train_accuracy")}
    return summary


def kept_epoch_marker(table: pd.DataFrame, epoch: int) -> pd.DataFrame:
    """Two rows at ``epoch`` spanning each metric's plotted range: drawn as one more series by DVC's
    `simple` line template, they make a vertical line at the kept epoch in the Loss and Accuracy charts."""
    spans = {
        metric: [table.filter(like=f"_{metric}").min().min(), table.filter(like=f"_{metric}").max().max()]
        for metric in ("loss", "accuracy")
    }
    return pd.DataFrame({"epoch": [epoch, epoch], **spans})


def write_history(
    table: pd.DataFrame, kept_epoch: int, history: Path, marker: Path, figures_dir: Path
) -> None:
    """The per-epoch table, the kept-epoch marker and the loss and accuracy curves."""
    with atomic_path(history) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(marker) as tmp:
        kept_epoch_marker(table, kept_epoch).to_csv(tmp, index=False, float_format="%.6g")
    for metric in ("loss", "accuracy"):
        figures.curves(table, metric, figures_dir / f"{metric}.png", kept_epoch=kept_epoch)
