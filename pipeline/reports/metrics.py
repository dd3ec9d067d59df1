"""Test-set metrics: accuracy, loss, per-class accuracy and the confusion matrix."""

import numpy as np
import torch
from torch import nn

from pipeline.learning.training import Split, predict


@torch.no_grad()
def confusion_matrix(predicted: torch.Tensor, actual: torch.Tensor, num_classes: int) -> np.ndarray:
    """``[actual, predicted]`` counts."""
    flat = actual * num_classes + predicted
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes).cpu().numpy()


@torch.no_grad()
def evaluate(
    model: nn.Module, split: Split, loss_kind: str, class_names: tuple[str, ...]
) -> tuple[dict, dict[str, float], np.ndarray, np.ndarray]:
    """Metrics (``{"test": {...}}``, accuracy as a fraction), per-class accuracy, predictions, confusion."""
    loss, accuracy, predicted = predict(model, split, loss_kind)
    confusion = confusion_matrix(predicted, split.y, len(class_names))
    per_class = confusion.diagonal() / np.maximum(confusion.sum(1), 1)
    metrics = {"test": {"accuracy": accuracy, "loss": loss}}
    per_class_accuracy = dict(zip(class_names, per_class.tolist(), strict=True))
    return metrics, per_class_accuracy, predicted.cpu().numpy(), confusion
