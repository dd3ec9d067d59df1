"""PNG pictures of a run: the lectures' loss and accuracy curves, and the confusion matrix."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.common.atomic import atomic_path


def _save(fig: plt.Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def curves(history: pd.DataFrame, metric: str, path: Path) -> None:
    """``metric`` (``loss`` or ``accuracy``) per epoch for every split in the history."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for split in ("train", "val", "test"):
        column = f"{split}_{metric}"
        if column in history:
            ax.plot(history["epoch"], history[column], label=split)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def confusion(matrix: np.ndarray, class_names: tuple[str, ...], path: Path) -> None:
    """Row-normalised confusion matrix with counts, actual classes down, predicted across."""
    rates = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if rates[i, j] > 0.5 else "black",
        )
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(f"test accuracy {np.trace(matrix) / max(matrix.sum(), 1):.3f}")
    _save(fig, path)
