"""Choose train defaults on the validation split (never the test set): print a ranked table.

    python -m scripts.select_defaults --features data/features [--labels data/labels] [--grid mlp]

Every candidate trains on the training split minus the ``val_fraction`` hold-out for its whole
cosine schedule, with no early stopping, and is scored by the hold-out's accuracy after the last
epoch, averaged over ``--seeds`` seeds. No epoch or checkpoint is picked on the hold-out, so the
score is an unbiased estimate and candidates compare fairly. The test set is never scored. Run it
on the arrays of both feature sets: the defaults are shared.
"""

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.learning.dataset import TrainingData, prepare
from pipeline.learning.params import TrainParams
from pipeline.learning.training import fit

GRIDS = {
    "perceptron": {"model": ["perceptron"], "lr": [3e-3, 1e-2], "epochs": [30, 60]},
    "mlp": {"hidden": [[128, 128], [256, 256]], "dropout": [0.0, 0.3], "epochs": [30, 60, 100]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("data/features"))
    parser.add_argument("--labels", type=Path, default=Path("data/labels"))
    parser.add_argument("--grid", choices=sorted(GRIDS), action="append", help="default: all")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    base = TrainParams(lr_schedule="cosine", patience=0)
    splits = prepare(TrainingData.load(args.features, args.labels), base)  # the test split is never scored
    results = []
    for name in args.grid or list(GRIDS):
        grid = GRIDS[name]
        for values in itertools.product(*grid.values()):
            setting = dict(zip(grid, values, strict=True))
            started = time.perf_counter()
            scores = []
            for seed in range(args.seeds):
                params = base.model_copy(update={**setting, "seed": seed})
                history = fit(params, splits.train, splits.val, num_classes=10).history
                scores.append(history[-1]["val_accuracy"])  # the last epoch's: nothing picked on val
            results.append((float(np.mean(scores)), name, setting))
            print(
                f"{name:10s} {setting}  val {results[-1][0]:.4f} ({' '.join(f'{s:.4f}' for s in scores)})"
                f"  ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    print("\nbest per grid (validation accuracy after the last epoch):")
    for name in args.grid or list(GRIDS):
        accuracy, _, setting = max((r for r in results if r[1] == name), key=lambda r: r[0])
        print(f"  {name:10s} {accuracy:.4f}  {setting}")


if __name__ == "__main__":
    main()
