"""The model file: weights plus everything needed to use them (scaling, params, feature names)."""

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from pipeline.atomic import atomic_path
from pipeline.models import build_model
from pipeline.params import TrainParams
from pipeline.scaling import Scaler


@dataclass
class Checkpoint:
    model: nn.Module
    scaler: Scaler
    params: TrainParams
    feature_names: list[str]
    summary: dict[str, int] = field(default_factory=dict)  # e.g. best_epoch, epochs_run


def save(path: Path, checkpoint: Checkpoint) -> None:
    payload = {
        "state_dict": {k: v.cpu() for k, v in checkpoint.model.state_dict().items()},
        "scaler": checkpoint.scaler.to_dict(),
        "train_params": checkpoint.params.model_dump(),
        "feature_names": checkpoint.feature_names,
        "summary": checkpoint.summary,
    }
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        torch.save(payload, f)  # to a file object: a path would embed the temporary name


def load(path: Path, num_classes: int) -> Checkpoint:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    params = TrainParams.model_validate(payload["train_params"])
    names = payload["feature_names"]
    model = build_model(len(names), num_classes, params)
    model.load_state_dict(payload["state_dict"])
    return Checkpoint(model.eval(), Scaler.from_dict(payload["scaler"]), params, names, payload["summary"])
