"""Choose train defaults on the validation split (never the test set): print a ranked table.

    python -m scripts.select_defaults [--features data/features --labels data/labels]

Every candidate trains on the training split minus the ``val_fraction`` hold-out and is ranked
by its best validation accuracy; the test set is not loaded.
"""

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.params import TrainParams
from pipeline.scaling import Scaler
from pipeline.training import Split, train, validation_split

GRIDS = {}
GRIDS["lecture"] = {
    "perceptron": {"normalize": ["zscore", "quantile"], "lr": [1e-3, 3e-3, 1e-2], "batch_size": [256, 512]},
    "mlp": {
        "normalize": ["zscore", "quantile"],
        "hidden": [[128, 128], [256, 256]],
        "lr": [1e-3, 3e-3],
        "batch_size": [256, 512],
    },
}
GRIDS["extended"] = {  # 126 features overfit a plain MLP quickly: wider nets with weight decay
    "mlp": {
        "normalize": ["zscore", "quantile"],
        "hidden": [[128, 128], [256, 256], [512, 512]],
        "weight_decay": [0.0, 1e-4, 1e-3],
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("data/features"))
    parser.add_argument("--labels", type=Path, default=Path("data/labels"))
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument(
        "--grid", choices=sorted(GRIDS), default="lecture", help="which search (default lecture)"
    )
    parser.add_argument("--model", choices=["perceptron", "mlp"], action="append", help="only these")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    x = np.load(args.features / "train.npy")
    y = np.load(args.labels / "train.npy").argmax(1)
    base = TrainParams(epochs=args.epochs, patience=20)
    fit_rows, val_rows = validation_split(len(x), base.val_fraction, base.seed)
    results = []
    searches = GRIDS[args.grid]
    models = [m for m in searches if not args.model or m in args.model]
    for model in models:
        grid = searches[model]
        for values in itertools.product(*grid.values()):
            params = base.model_copy(update={"model": model, **dict(zip(grid, values, strict=True))})
            scaler = Scaler.fit(params.normalize, x[fit_rows])

            def split(rows: np.ndarray, scaler: Scaler = scaler) -> Split:
                return Split(torch.from_numpy(scaler.transform(x[rows])), torch.from_numpy(y[rows]))

            started = time.perf_counter()
            fit, val = split(fit_rows), split(val_rows)
            _, history = train(params, fit, val, val, num_classes=10)
            best = max(history, key=lambda row: row["val_accuracy"])
            results.append((best["val_accuracy"], model, dict(zip(grid, values, strict=True)), best["epoch"]))
            print(
                f"{model:10s} {results[-1][2]}  val {best['val_accuracy']:.4f} at epoch {best['epoch']}"
                f"  ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    print("\nbest per model (validation accuracy):")
    for model in models:
        accuracy, _, setting, epoch = max((r for r in results if r[1] == model), key=lambda r: r[0])
        print(f"  {model:10s} {accuracy:.4f}  {setting}  best epoch {epoch}")


if __name__ == "__main__":
    main()
