"""Run a lecture preset (``presets/*.yaml``) as a DVC experiment named after it.

    python -m scripts.preset lecture5             # = dvc exp run -n lecture5 -S train.model=perceptron ...
    python -m scripts.preset lecture5 -S train.epochs=5   # options after the name go to `dvc exp run`
    python -m scripts.preset lecture5 --queue

A preset file holds only the params that differ from params.yaml's defaults; the training
benchmark reads the same files (``train_params``). The options given after the name come after the
preset's ``-S``, and DVC applies ``-S`` in order, so they win. Running a preset again on the same
commit replaces its experiment: DVC refuses a name that exists (its ``-f`` would also rerun every
stage, the download included), so the old one is removed first and unchanged stages are skipped or
restored from DVC's run cache.
"""

import argparse
import json
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from pipeline.common.errors import PipelineError
from pipeline.common.settings import read_yaml
from pipeline.common.stage import run_stage
from pipeline.learning.params import TrainParams

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"
FORCE = {"-f", "--force"}  # `dvc exp run` overwrites the experiment itself then


def overrides(name: str) -> dict[str, object]:
    """``{"train.model": "perceptron", ...}``: the preset's params by dotted key, read as params.yaml is."""
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        choices = ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yaml")))
        raise PipelineError(f"no preset {name!r}; choose from {choices}")
    sections = read_yaml(path)
    if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
        raise PipelineError(f"{path} must map sections (train, features) to their params")
    return {
        f"{section}.{key}": value for section, values in sections.items() for key, value in values.items()
    }


def train_params(name: str) -> TrainParams:
    """The preset's ``train`` section on top of the defaults."""
    prefix = "train."
    train = {key.removeprefix(prefix): v for key, v in overrides(name).items() if key.startswith(prefix)}
    return TrainParams.model_validate(train)


def commands(name: str, dvc_options: list[str], exists: Callable[[str], bool]) -> list[list[str]]:
    """What runs the preset: `dvc exp run -n NAME` with the preset's ``-S`` first and the user's
    options last, after `dvc exp remove NAME` where ``exists(NAME)`` and no ``-f`` is given."""
    # JSON values are valid values of DVC's -S grammar (Hydra's): [6, 6], 0.0, "mse".
    sets = [f"{key}={json.dumps(value)}" for key, value in overrides(name).items()]
    run = ["dvc", "exp", "run", "-n", name, *(x for s in sets for x in ("-S", s)), *dvc_options]
    replace = not FORCE.intersection(dvc_options) and exists(name)
    return [["dvc", "exp", "remove", name], run] if replace else [run]


def experiment_exists(name: str) -> bool:
    """Whether this commit has an experiment ``name`` (`dvc exp list` lists the current commit's);
    False where DVC cannot tell, and then `dvc exp run` says why."""
    listed = subprocess.run(["dvc", "exp", "list", "--name-only"], capture_output=True, text=True)
    return listed.returncode == 0 and name in listed.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a file name in presets/ without .yaml, e.g. lecture5")
    args, dvc_options = parser.parse_known_args()
    try:
        for command in commands(args.name, dvc_options, experiment_exists):
            print(shlex.join(command), flush=True)
            code = subprocess.call(command)
            if code:
                raise SystemExit(code)
    except FileNotFoundError as err:  # no `dvc` on PATH
        fix = "activate the environment (source .venv/bin/activate)"
        raise PipelineError(f"cannot run {err.filename}: {fix}") from err


if __name__ == "__main__":
    run_stage(main)
