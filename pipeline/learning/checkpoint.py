"""The model file: weights plus everything needed to use them (feature recipe, scaling, params).

Loaded with ``weights_only=True``: a model file from elsewhere cannot run code.
"""

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipeline.common.atomic import atomic_path
from pipeline.common.errors import PipelineError
from pipeline.learning.models import build_model
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler


@dataclass
class Checkpoint:
    model: nn.Module
    scaler: Scaler
    params: TrainParams
    feature_names: list[str]
    recipe: dict[str, Any]  # the features stage's recipe.json: which features the model expects
    summary: dict[str, int] = field(default_factory=dict)  # e.g. best_epoch, epochs_run


def save(path: Path, checkpoint: Checkpoint) -> None:
    payload = {
        "state_dict": {k: v.cpu() for k, v in checkpoint.model.state_dict().items()},
        "scaler": checkpoint.scaler.to_dict(),
        "train_params": checkpoint.params.model_dump(),
        "feature_names": checkpoint.feature_names,
        "recipe": checkpoint.recipe,
        "summary": checkpoint.summary,
    }
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        torch.save(payload, f)  # to a file object: a path would embed the temporary name


def load(path: Path, num_classes: int) -> Checkpoint:
    """The checkpoint at ``path``; anything that is not one of our model files is a one-line error."""
    fix = "rerun `dvc repro train` (or `dvc checkout models/model.pt`)"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        params = TrainParams.model_validate(payload["train_params"])
        names = payload["feature_names"]
        model = build_model(len(names), num_classes, params)
        model.load_state_dict(payload["state_dict"])
        scaler = Scaler.from_dict(payload["scaler"])
        return Checkpoint(model.eval(), scaler, params, names, payload["recipe"], payload["summary"])
    except FileNotFoundError as err:
        raise PipelineError(f"{path} does not exist; {fix}") from err
    except (pickle.UnpicklingError, RuntimeError, KeyError, TypeError, ValueError, OSError, EOFError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise PipelineError(
            f"{path} is not a model file this pipeline wrote ({reason[:200]}); {fix}"
        ) from err
