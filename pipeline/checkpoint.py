"""The model file: weights plus everything needed to use them (scaling, params, feature names)."""

from pathlib import Path

import torch
from torch import nn

from pipeline.atomic import atomic_path
from pipeline.models import build_model
from pipeline.params import TrainParams
from pipeline.scaling import Scaler


def save(path: Path, model: nn.Module, scaler: Scaler, params: TrainParams, feature_names: list[str]) -> None:
    payload = {
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
        "scaler": scaler.to_dict(),
        "train_params": params.model_dump(),
        "feature_names": feature_names,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load(path: Path, num_classes: int) -> tuple[nn.Module, Scaler, TrainParams, list[str]]:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    params = TrainParams.model_validate(payload["train_params"])
    names = payload["feature_names"]
    model = build_model(len(names), num_classes, params.model, params.hidden, params.activation)
    model.load_state_dict(payload["state_dict"])
    return model.eval(), Scaler.from_dict(payload["scaler"]), params, names
