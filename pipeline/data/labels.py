"""One-hot label arrays, the lectures' training targets."""

import numpy as np

NUM_CLASSES = 10


def one_hot(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """int ``(N,)`` class indices → float32 ``(N, num_classes)`` one-hot rows."""
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    return np.eye(num_classes, dtype=np.float32)[labels]
