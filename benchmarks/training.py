"""Benchmark: the lecture-5 preset in this project's engine vs the lectures' own training loop.

    python -m benchmarks.training [--features data/features --labels data/labels] [--device cpu]

The lectures' loop: a DataLoader of 64-image batches with 4 workers; the batch losses are summed,
averaged, and one gradient step is taken per epoch. Ours: the same model, loss, optimiser and lr
with ``batch_size: 0`` (the whole training set is one on-device tensor, one step per epoch). Both
run in this process; the lectures' loop is timed for ``--lecture-epochs`` epochs and scaled to
200, which the printout says.
"""

import argparse
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from pipeline.common.devices import resolve_device
from pipeline.learning.dataset import TrainingData, prepare
from pipeline.learning.models import build_model
from pipeline.learning.training import fit, loss_fn
from scripts.preset import train_params

LECTURE5 = train_params("lecture5")  # the same preset file `python -m scripts.preset lecture5` runs


def lecture_loop(
    x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor, epochs: int
) -> float:
    """The notebooks' loop (with their test labels fixed); returns seconds per epoch."""
    torch.manual_seed(0)
    model = build_model(x.shape[1], 10, LECTURE5)
    optimizer = torch.optim.SGD(model.parameters(), lr=LECTURE5.lr)
    loader = DataLoader(
        TensorDataset(x, y), batch_size=64, shuffle=True, num_workers=4, persistent_workers=True
    )
    test_loader = DataLoader(
        TensorDataset(x_test, y_test), batch_size=64, num_workers=4, persistent_workers=True
    )
    started = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        total = sum(loss_fn(model(xb), yb, "mse") for xb, yb in loader) / len(loader)
        total.backward()
        optimizer.step()
        with torch.no_grad():
            sum(loss_fn(model(xb), yb, "mse").item() for xb, yb in test_loader)
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("data/features"))
    parser.add_argument("--labels", type=Path, default=Path("data/labels"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lecture-epochs", type=int, default=3)
    args = parser.parse_args()
    device = resolve_device(args.device)
    data = TrainingData.load(args.features, args.labels)
    on_cpu = prepare(data, LECTURE5)  # the preset has no validation split
    per_epoch = lecture_loop(
        on_cpu.train.x, on_cpu.train.y, on_cpu.test.x, on_cpu.test.y, args.lecture_epochs
    )
    lecture_total = per_epoch * LECTURE5.epochs

    splits = prepare(data, LECTURE5, device)
    fit(LECTURE5.model_copy(update={"epochs": 2}), splits.train, test=splits.test, num_classes=10)  # warm-up
    started = time.perf_counter()
    history = fit(LECTURE5, splits.train, test=splits.test, num_classes=10).history
    if device.type == "cuda":
        torch.cuda.synchronize()
    ours = time.perf_counter() - started

    print(f"device                       {device}")
    print(
        f"lectures' loop (4 workers)   {per_epoch * 1000:9.1f} ms/epoch"
        f" -> {lecture_total:8.1f} s for 200 epochs"
        f" (timed {args.lecture_epochs} epochs)"
    )
    print(f"this engine (batch_size 0)   {ours / 200 * 1000:9.2f} ms/epoch -> {ours:8.2f} s for 200 epochs")
    print(f"speed-up                     {lecture_total / ours:9.0f} x")
    print(f"lecture-5 test accuracy      {history[-1]['test_accuracy']:.4f}")


if __name__ == "__main__":
    main()
