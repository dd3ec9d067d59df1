"""PNG pictures of a run: the lectures' loss and accuracy curves, the confusion matrix and a grid of
misclassified test images."""

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


def curves(history: pd.DataFrame, metric: str, path: Path, kept_epoch: int | None = None) -> None:
    """``metric`` (``loss`` or ``accuracy``) per epoch for every split in the history, with a
    vertical line at ``kept_epoch`` (the best validation epoch, whose weights the model holds)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for split in ("train", "val", "test"):
        column = f"{split}_{metric}"
        if column in history:
            ax.plot(history["epoch"], history[column], label=split)
    if kept_epoch is not None:
        ax.axvline(kept_epoch, color="grey", linestyle="--", linewidth=1, label=f"kept (epoch {kept_epoch})")
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


def misclassified(
    images: np.ndarray,
    actual: np.ndarray,
    predicted: np.ndarray,
    class_names: tuple[str, ...],
    limit: int = 24,
) -> plt.Figure:
    """A grid of the first ``limit`` misclassified test images, true and predicted class over each:
    what the confusion matrix counts, shown. Returned for DVCLive's ``log_image``, which saves it."""
    wrong = np.flatnonzero(actual != predicted)[:limit]
    columns = 6
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[index], interpolation="nearest")
        ax.set_title(f"true {class_names[actual[index]]}\npred {class_names[predicted[index]]}", fontsize=8)
    shown = f"first {len(wrong)} of {int((actual != predicted).sum())}"
    fig.suptitle(f"misclassified test images ({shown})" if len(wrong) else "no misclassified test images")
    fig.set_dpi(110)
    fig.tight_layout()
    return fig
