"""The model file: weights plus everything needed to use them (feature recipe, scaling, params).

Loaded with ``weights_only=True``: a model file from elsewhere cannot run code.
"""

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError
from torch import nn

from pipeline.common.atomic import atomic_path
from pipeline.common.errors import PipelineError
from pipeline.learning.models import MirrorAveraged, build_model
from pipeline.learning.params import SCALINGS, TrainParams
from pipeline.learning.scaling import QUANTILES, Scaler


@dataclass
class Checkpoint:
    model: nn.Module
    scaler: Scaler
    params: TrainParams
    feature_names: list[str]
    recipe: dict[str, Any]  # the features stage's recipe.json: which features the model expects
    summary: dict[str, int] = field(default_factory=dict)  # e.g. best_epoch, epochs_run
    # Trained on mirrored rows that permute the columns (textons with features.augment: flip): the
    # permutation. Predictions then average each image with its mirror.
    mirror: np.ndarray | None = None

    @property
    def predictor(self) -> nn.Module:
        """What evaluate and ``predict`` run: the network, averaged over mirrors where trained on them."""
        if self.mirror is None:
            return self.model
        return MirrorAveraged(self.model, torch.from_numpy(self.mirror)).eval()


def save(path: Path, checkpoint: Checkpoint) -> None:
    payload = {
        "state_dict": {k: v.cpu() for k, v in checkpoint.model.state_dict().items()},
        "scaler": checkpoint.scaler.to_dict(),
        "train_params": checkpoint.params.model_dump(),
        "feature_names": checkpoint.feature_names,
        "recipe": checkpoint.recipe,
        "summary": checkpoint.summary,
        **({} if checkpoint.mirror is None else {"mirror": checkpoint.mirror.tolist()}),
    }
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        torch.save(payload, f)  # to a file object: a path would embed the temporary name


MAX_FEATURES = 2**20  # more columns than any feature set here makes (scattering's widest: ~55,000)
MAX_NAME = 200  # characters in one feature name
# What each scaling stores (``Scaler.fit``), one vector per feature; quantile: one row per quantile.
SCALER_STATE = {
    "none": (),
    "lecture_minmax": ("min", "max"),
    "minmax": ("min", "max"),
    "zscore": ("mean", "std"),
    "quantile": ("quantiles",),
}
# What reading a file that is not one of ours raises (PipelineError: its params name an absent view).
UNREADABLE = (
    pickle.UnpicklingError,
    RuntimeError,
    KeyError,
    TypeError,
    ValueError,
    OSError,
    EOFError,
    PipelineError,
)
MODEL_KEYS = ("state_dict", "scaler", "train_params", "feature_names", "recipe", "summary")


def load(path: Path, num_classes: int) -> Checkpoint:
    """The checkpoint at ``path``; anything that is not one of our model files is a one-line error.

    Everything the file says about sizes is checked before anything is allocated: the params, the
    feature names and the scaling against each other, and the stored weights' shapes against the
    network those describe (built on the ``meta`` device, which allocates nothing). The real network
    is built only when they agree, so its size is that of the weights in the file.
    """
    fix = "rerun `dvc repro train` (or `dvc checkout models/model.pt`)"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or not set(MODEL_KEYS) <= payload.keys():
            raise ValueError(f"not a dict with the keys {', '.join(MODEL_KEYS)}")
        params = _train_params(payload["train_params"])
        names = _feature_names(payload["feature_names"])
        scaler = _scaler(payload["scaler"], len(names))
        summary = payload["summary"]
        if not isinstance(summary, dict) or not all(type(v) is int for v in summary.values()):
            raise ValueError("its summary is not a mapping of counts")
        mirror = _mirror(payload["mirror"], len(names)) if "mirror" in payload else None
        state = _weights(payload["state_dict"], names, num_classes, params)
        model = build_model(names, num_classes, params)
        model.load_state_dict(state)
        return Checkpoint(model.eval(), scaler, params, names, payload["recipe"], summary, mirror)
    except FileNotFoundError as err:
        raise PipelineError(f"{path} does not exist; {fix}") from err
    except UNREADABLE as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise PipelineError(
            f"{path} is not a model file this pipeline wrote ({reason[:200]}); {fix}"
        ) from err


def _train_params(raw: object) -> TrainParams:
    try:
        return TrainParams.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise ValueError(f"its train_params.{'.'.join(map(str, first['loc']))}: {first['msg']}") from err


def _feature_names(names: object) -> list[str]:
    if type(names) is not list or not 1 <= len(names) <= MAX_FEATURES:
        raise ValueError(f"its feature_names are not a list of 1 to {MAX_FEATURES:,} names")
    if not all(type(name) is str and len(name) <= MAX_NAME for name in names):
        raise ValueError(f"its feature_names are not all strings of at most {MAX_NAME} characters")
    return names


def _scaler(data: object, n_features: int) -> Scaler:
    """The stored scaling, each of its vectors checked to be ``n_features`` plain floats (the quantile
    table ``len(QUANTILES)`` of them) before any array is made: pickle's memo could otherwise make a
    small file stand for an enormous nested list."""
    if not isinstance(data, dict) or data.keys() != {"kind", "state"} or data["kind"] not in SCALINGS:
        raise ValueError(f"its scaler is not one of {', '.join(SCALINGS)}")
    kind, state = data["kind"], data["state"]
    if not isinstance(state, dict) or sorted(state) != sorted(SCALER_STATE[kind]):
        raise ValueError(
            f"its {kind} scaler does not hold exactly {', '.join(SCALER_STATE[kind]) or 'nothing'}"
        )
    arrays = {}
    for key, value in state.items():
        if key != "quantiles":
            arrays[key] = _floats(value, n_features, key)
        elif type(value) is list and len(value) == len(QUANTILES):
            arrays[key] = np.stack([_floats(row, n_features, key) for row in value])
        else:
            raise ValueError(f"its scaler's quantiles are not {len(QUANTILES)} rows")
    return Scaler(kind, arrays)


def _floats(row: object, count: int, key: str) -> np.ndarray:
    if type(row) is not list or len(row) != count:
        raise ValueError(f"its scaler's {key} is not {count} numbers, one per feature")
    try:
        return np.fromiter(row, np.float64, count)
    except (TypeError, ValueError) as err:
        raise ValueError(f"its scaler's {key} holds something other than numbers") from err


def _mirror(values: object, n_features: int) -> np.ndarray:
    if type(values) is not list or len(values) != n_features or not all(type(v) is int for v in values):
        raise ValueError(f"its mirror is not a list of {n_features} column indices")
    mirror = np.asarray(values, dtype=np.int64)
    if not np.array_equal(np.sort(mirror), np.arange(n_features)):
        raise ValueError("its mirror is not a permutation of the feature columns")
    return mirror


def _weights(
    state: object, names: list[str], num_classes: int, params: TrainParams
) -> dict[str, torch.Tensor]:
    """The stored weights, if they are exactly the tensors of the network that ``params`` and the
    feature count describe, each holding its own numbers (not a broadcast view of a few)."""
    with torch.device("meta"):
        network = build_model(names, num_classes, params)
        expected = {k: v.shape for k, v in network.state_dict().items()}
    if not isinstance(state, dict) or state.keys() != expected.keys():
        raise ValueError(f"its weights are not those of {_describe(len(names), num_classes, params)}")
    for key, tensor in state.items():
        if not isinstance(tensor, torch.Tensor) or tensor.shape != expected[key]:
            shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ValueError(
                f"its weight {key} is {shape}, where {_describe(len(names), num_classes, params)} has "
                f"{tuple(expected[key])}"
            )
        if tensor.dtype != torch.float32 or tensor.untyped_storage().nbytes() < tensor.numel() * 4:
            raise ValueError(f"its weight {key} is not float32 numbers of its own")
    return state


def _describe(n_features: int, num_classes: int, params: TrainParams) -> str:
    widths = [n_features, *(params.hidden if params.model == "mlp" else []), num_classes]
    network = f"{params.model} {'-'.join(map(str, widths))}"
    if params.bottleneck:
        network += f" behind a region map to {params.bottleneck}"
    if not params.views:
        return f"a {network}" if params.ensemble == 1 else f"an ensemble of {params.ensemble} {network}s"
    views = ", ".join("+".join(view) for view in params.views)
    return f"an ensemble of {params.ensemble} {params.model}(s) on each of the views {views}"
