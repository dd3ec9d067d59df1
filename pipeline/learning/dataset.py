"""The training data, one way for everyone (the train stage, the scripts, the benchmarks): features and
labels as the features and labels stages wrote them, the seeded validation hold-out, the mirrored
rows of the rows fitted on (never of validation rows: their mirrors would leak into the fit), the
scaling fitted on the rows fitted on, and tensors on the training device."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from pipeline.common.errors import PipelineError
from pipeline.common.paths import FEATURES_DIR, FLIPPED_TRAIN_FILE, LABELS_DIR, split_file
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
    x_flipped: np.ndarray | None = None  # features.augment: flip; row i is x_train[i]'s mirror image

    @classmethod
    def load(cls, features: Path = FEATURES_DIR, labels: Path = LABELS_DIR) -> "TrainingData":
        one_hot = np.load(split_file(labels, "train"))
        flipped = features / FLIPPED_TRAIN_FILE.name
        return cls(
            np.load(split_file(features, "train")),
            one_hot.argmax(1),
            np.load(split_file(features, "test")),
            np.load(split_file(labels, "test")).argmax(1),
            one_hot.shape[1],
            np.load(flipped, mmap_mode="r") if flipped.exists() else None,
        )

    def columns(self, kept: list[int]) -> "TrainingData":
        """The same rows with only the feature columns ``kept`` (ablations)."""
        flipped = None if self.x_flipped is None else self.x_flipped[:, kept]
        return replace(self, x_train=self.x_train[:, kept], x_test=self.x_test[:, kept], x_flipped=flipped)


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
    if data.x_flipped is not None:
        x_fit = np.concatenate([x_fit, data.x_flipped[fit_rows]])
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
