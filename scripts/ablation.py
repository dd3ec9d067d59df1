"""What each feature group contributes: train with each group alone and with each group left out.

    python -m scripts.ablation [--features data/features --labels data/labels] [-S train.hidden=[256,256] ...]

Uses the feature arrays of the last `dvc repro` (``names.json`` says which columns belong to
which group) and the train params of params.yaml, overridable with ``-S key=value``. Prints
validation and test accuracy per variant; the variants are not used to pick anything.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from pipeline.common.settings import load_section, parse_yaml
from pipeline.common.stage import run_stage
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.training import Split, fit, predict, validation_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("data/features"))
    parser.add_argument("--labels", type=Path, default=Path("data/labels"))
    parser.add_argument("-S", dest="overrides", action="append", default=[], help="train.KEY=VALUE")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    updates = {}
    for override in args.overrides:
        key, _, value = override.partition("=")
        updates[key.removeprefix("train.")] = parse_yaml(value, f"-S {override}")  # as params.yaml reads
    params = load_section("train", TrainParams).model_copy(update=updates)
    names = json.loads((args.features / "names.json").read_text())
    groups = sorted({name.split("_")[0] for name in names})
    x = {s: np.load(args.features / f"{s}.npy") for s in ("train", "test")}
    y = {s: torch.from_numpy(np.load(args.labels / f"{s}.npy").argmax(1)) for s in ("train", "test")}
    fit_rows, val_rows = validation_split(len(x["train"]), params.val_fraction, params.seed)
    variants = (
        {"all": groups}
        | {f"only {g}": [g] for g in groups}
        | {f"without {g}": [h for h in groups if h != g] for g in groups}
    )
    print(f"{'variant':20s} {'features':>8s} {'val':>7s} {'test':>7s}   ({params.model} {params.hidden})")
    for label, kept in variants.items():
        columns = [i for i, name in enumerate(names) if name.split("_")[0] in kept]
        scaler = Scaler.fit(params.normalize, x["train"][fit_rows][:, columns])

        def split(
            rows: np.ndarray | None, which: str, columns: list[int] = columns, scaler: Scaler = scaler
        ) -> Split:
            chosen = x[which] if rows is None else x[which][rows]
            labels = y[which] if rows is None else y[which][rows]
            return Split(torch.from_numpy(scaler.transform(chosen[:, columns])), labels)

        val, test = split(val_rows, "train"), split(None, "test")
        model, _ = fit(params, split(fit_rows, "train"), val, num_classes=10)
        val_accuracy, test_accuracy = (predict(model, s, params.loss)[1] for s in (val, test))
        print(f"{label:20s} {len(columns):8d} {val_accuracy:7.4f} {test_accuracy:7.4f}", flush=True)


if __name__ == "__main__":
    run_stage(main)
