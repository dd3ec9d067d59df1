"""What each feature group contributes: train with each group alone and with each group left out.

    python -m scripts.ablation [--features data/features --labels data/labels] [-S train.hidden=[256,256] ...]

Uses the feature arrays of the last `dvc repro` (``names.json`` says which columns belong to
which group) and the train params of params.yaml, overridable with ``-S key=value``. Prints
validation and test accuracy per variant; the variants are not used to pick anything.
"""

import argparse
import json
from pathlib import Path

import torch

from pipeline.common.settings import load_section, parse_yaml
from pipeline.common.stage import run_stage
from pipeline.learning.dataset import TrainingData, prepare
from pipeline.learning.params import TrainParams
from pipeline.learning.training import fit, predict
from pipeline.learning.views import feature_group


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
    # Each variant is one network on its columns: the params' views (groups a variant may lack) are off.
    params = load_section("train", TrainParams).model_copy(update={"views": []} | updates)
    names = json.loads((args.features / "names.json").read_text())
    groups = sorted({feature_group(name) for name in names})
    data = TrainingData.load(args.features, args.labels)
    variants = (
        {"all": groups}
        | {f"only {g}": [g] for g in groups}
        | {f"without {g}": [h for h in groups if h != g] for g in groups}
    )
    print(f"{'variant':20s} {'features':>8s} {'val':>7s} {'test':>7s}   ({params.model} {params.hidden})")
    for label, kept in variants.items():
        columns = [i for i, name in enumerate(names) if feature_group(name) in kept]
        splits = prepare(data.columns(columns), params)
        kept_names = [names[i] for i in columns]  # train.bottleneck reads their regions
        model = fit(params, splits.train, splits.val, num_classes=data.num_classes, names=kept_names).model
        val_accuracy, test_accuracy = (predict(model, s, params.loss)[1] for s in (splits.val, splits.test))
        print(f"{label:20s} {len(columns):8d} {val_accuracy:7.4f} {test_accuracy:7.4f}", flush=True)


if __name__ == "__main__":
    run_stage(main)
