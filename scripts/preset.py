"""Run a lecture preset (``presets/*.yaml``) as a DVC experiment named after it.

    python -m scripts.preset lecture5             # = dvc exp run -n lecture5 -S train.model=perceptron ...
    python -m scripts.preset lecture5 --queue     # options after the name go to `dvc exp run`

A preset file holds only the params that differ from params.yaml's defaults; the training
benchmark reads the same files (``train_params``).
"""

import argparse
import json
import shlex
import subprocess
from pathlib import Path

import yaml

from pipeline.learning.params import TrainParams

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"


def overrides(name: str) -> dict[str, object]:
    """``{"train.model": "perceptron", ...}``: the preset's params by dotted key."""
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        choices = ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yaml")))
        raise SystemExit(f"error: no preset {name!r}; choose from {choices}")
    sections = yaml.safe_load(path.read_text())
    return {
        f"{section}.{key}": value for section, values in sections.items() for key, value in values.items()
    }


def train_params(name: str) -> TrainParams:
    """The preset's ``train`` section on top of the defaults."""
    prefix = "train."
    return TrainParams.model_validate({k.removeprefix(prefix): v for k, v in overrides(name).items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a file name in presets/ without .yaml, e.g. lecture5")
    args, dvc_options = parser.parse_known_args()
    # JSON values are YAML, which is how DVC reads -S values: [6, 6], 0.0, "mse".
    sets = [f"{key}={json.dumps(value)}" for key, value in overrides(args.name).items()]
    command = ["dvc", "exp", "run", "-n", args.name, *dvc_options, *(x for s in sets for x in ("-S", s))]
    print(shlex.join(command), flush=True)
    raise SystemExit(subprocess.call(command))


if __name__ == "__main__":
    main()
