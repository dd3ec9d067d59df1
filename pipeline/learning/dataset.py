"""The training data, one way for everyone (the train stage, the scripts, the benchmarks): features and
labels as the features and labels stages wrote them, the seeded validation hold-out, the mirrored
rows of the rows fitted on (never of validation rows: their mirrors would leak into the fit), the
scaling fitted on the rows fitted on, and tensors on the training device."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from pipeline.common.errors import PipelineError
from pipeline.common.paths import FEATURES_DIR, FLIPPED_TRAIN_FILE, LABELS_DIR, MIRROR_FILE, split_file
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.training import Split, validation_split


@dataclass(frozen=True)
class TrainingData:
    """Feature rows and class indices of both splits."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    # features.augment: flip. Row i of x_flipped is x_train[i]'s mirror image; or, for a set whose
    # mirrored features are a permutation of the columns, that permutation: x_train[i, mirror].
    x_flipped: np.ndarray | None = None
    mirror: np.ndarray | None = None

    @classmethod
    def load(cls, features: Path = FEATURES_DIR, labels: Path = LABELS_DIR) -> "TrainingData":
        one_hot = np.load(split_file(labels, "train"))
        x_train = np.load(split_file(features, "train"))
        flipped, mirror = features / FLIPPED_TRAIN_FILE.name, features / MIRROR_FILE.name
        columns = x_train.shape[1]
        return cls(
            x_train,
            one_hot.argmax(1),
            np.load(split_file(features, "test")),
            np.load(split_file(labels, "test")).argmax(1),
            one_hot.shape[1],
            np.load(flipped, mmap_mode="r") if flipped.exists() else None,
            column_permutation(np.load(mirror, mmap_mode="r"), columns, mirror) if mirror.exists() else None,
        )

    def columns(self, kept: list[int]) -> "TrainingData":
        """The same rows with only the feature columns ``kept`` (ablations); with a ``mirror``, ``kept``
        must hold each column's mirror too."""
        flipped = None if self.x_flipped is None else self.x_flipped[:, kept]
        mirror = None
        if self.mirror is not None:
            position = np.full(len(self.mirror), -1)
            position[kept] = np.arange(len(kept))
            mirror = position[self.mirror[kept]]
            if (mirror < 0).any():
                raise ValueError("the columns kept must include each one's mirror (features.augment: flip)")
        return replace(
            self, x_train=self.x_train[:, kept], x_test=self.x_test[:, kept], x_flipped=flipped, mirror=mirror
        )

    def mirrored(self, rows: np.ndarray) -> np.ndarray | None:
        """Features of the training images ``rows`` mirrored left to right; None without mirrors."""
        if self.x_flipped is not None:
            return self.x_flipped[rows]
        return None if self.mirror is None else self.x_train[rows][:, self.mirror]


def column_permutation(values: np.ndarray, count: int, source: Path) -> np.ndarray:
    """``values`` (a memory map: its shape is checked before anything is read) if they are a
    permutation of ``count`` column indices, else a one-line error."""
    if (
        values.shape != (count,)
        or values.dtype.kind not in "iu"
        or not np.array_equal(np.sort(values), np.arange(count))
    ):
        raise PipelineError(
            f"{source} is not a permutation of the {count} feature columns; rerun `dvc repro features`"
        )
    return np.asarray(values, dtype=np.intp)


@dataclass
class Prepared:
    """Scaled splits on the training device, and the scaling (which the model file keeps)."""

    train: Split
    val: Split | None
    test: Split
    scaler: Scaler


def prepare(data: TrainingData, params: TrainParams, device: torch.device | str = "cpu") -> Prepared:
    """Split off ``train.val_fraction`` (seeded by ``train.seed``), add the mirrored fit rows, fit
    ``train.normalize`` on the fit rows and move everything to ``device`` once."""
    fit_rows, val_rows = validation_split(len(data.x_train), params.val_fraction, params.seed)
    if len(fit_rows) < 2 or (params.val_fraction and not len(val_rows)):
        raise PipelineError(
            f"train.val_fraction: {params.val_fraction} of {len(data.x_train)} training rows leaves "
            f"{len(fit_rows)} to train on and {len(val_rows)} to validate on; "
            "choose a fraction that leaves both"
        )
    x_fit, y_fit = data.x_train[fit_rows], data.y_train[fit_rows]
    mirrored = data.mirrored(fit_rows)
    if mirrored is not None:
        x_fit = np.concatenate([x_fit, mirrored])
        y_fit = np.concatenate([y_fit, y_fit])
    scaler = Scaler.fit(params.normalize, x_fit)

    def to_split(x: np.ndarray, y: np.ndarray) -> Split:
        return Split(torch.from_numpy(scaler.transform(x)).to(device), torch.from_numpy(y).to(device))

    val = to_split(data.x_train[val_rows], data.y_train[val_rows]) if len(val_rows) else None
    return Prepared(to_split(x_fit, y_fit), val, to_split(data.x_test, data.y_test), scaler)


def test_split(scaler: Scaler, features: Path = FEATURES_DIR, labels: Path = LABELS_DIR) -> Split:
    """The test rows scaled by a trained model's ``scaler`` (evaluate reads nothing else)."""
    x = scaler.transform(np.load(split_file(features, "test")))
    return Split(torch.from_numpy(x), torch.from_numpy(np.load(split_file(labels, "test")).argmax(1)))
