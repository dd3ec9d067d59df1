"""params.yaml, validated once into typed, frozen objects before any stage does expensive work.

Unknown keys (``train.modle``), wrong types and out-of-range values fail with one line that names
the key and what is allowed.
"""

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import PipelineError

PARAMS_FILE = Path("params.yaml")
DEVICE_PATTERN = r"^(auto|cpu|mps|cuda(:\d+)?)$"
Device = Annotated[str, Field(pattern=DEVICE_PATTERN)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DataParams(Section):
    url: str = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    md5: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] = "c58f30108f718f92721af3b95e74349a"


class LbpParams(Section):
    points: Annotated[int, Field(ge=1, le=32)] = 5
    radius: Annotated[float, Field(gt=0, le=8)] = 2.0


class GlcmParams(Section):
    distance: Annotated[int, Field(ge=1, le=16)] = 2
    angle: float = 0.0  # degrees


class GaborParams(Section):
    frequency: Annotated[float, Field(gt=0, le=1)] = 0.6


class ExtendedParams(Section):
    groups: Annotated[list[Literal["lbp", "glcm", "gabor", "color", "palette"]], Field(min_length=1)] = [
        "lbp",
        "glcm",
        "gabor",
        "color",
        "palette",
    ]
    lbp: list[LbpParams] = [LbpParams(points=8, radius=1.0), LbpParams(points=16, radius=2.0)]
    glcm_distances: Annotated[list[Annotated[int, Field(ge=1, le=16)]], Field(min_length=1)] = [1, 2, 4]
    glcm_angles: Annotated[list[float], Field(min_length=1)] = [0.0, 45.0, 90.0, 135.0]
    gabor_frequencies: Annotated[list[Annotated[float, Field(ge=0.05, le=1)]], Field(min_length=1)] = [
        0.1,
        0.2,
        0.3,
        0.4,
    ]
    gabor_orientations: Annotated[list[float], Field(min_length=1)] = [0.0, 45.0, 90.0, 135.0]
    palette_levels: Annotated[int, Field(ge=2, le=16)] = 4  # per channel: levels³ histogram bins


class FeatureParams(Section):
    set: Literal["lecture", "extended"] = "lecture"
    backend: Literal["torch", "skimage"] = "torch"
    device: Device = "auto"
    chunk_size: Annotated[int, Field(ge=1)] = 256
    bins: Annotated[int, Field(ge=1)] = 8
    lbp: LbpParams = LbpParams()
    glcm: GlcmParams = GlcmParams()
    gabor: GaborParams = GaborParams()
    extended: ExtendedParams = ExtendedParams()


class TrainParams(Section):
    model: Literal["perceptron", "mlp"] = "mlp"
    hidden: list[Annotated[int, Field(ge=1)]] = [128, 128]
    activation: Literal["relu", "tanh", "sigmoid", "gelu"] = "relu"
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0  # after each hidden activation (MLP only)
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: Literal["sgd", "adam"] = "adam"
    lr: Annotated[float, Field(gt=0)] = 3e-3
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    lr_schedule: Literal["constant", "cosine"] = "cosine"  # cosine: anneal to 0 over `epochs`
    epochs: Annotated[int, Field(ge=1)] = 100
    batch_size: Annotated[int, Field(ge=0)] = 512
    normalize: Literal["none", "lecture_minmax", "minmax", "zscore", "quantile"] = "quantile"
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.1
    patience: Annotated[int, Field(ge=0)] = 0
    device: Device = "auto"
    seed: int = 0

    @model_validator(mode="after")
    def _mlp_needs_hidden_layers(self) -> "TrainParams":
        if self.model == "mlp" and not self.hidden:
            raise ValueError("train.hidden must list at least one layer width for train.model: mlp")
        return self


class Params(Section):
    data: DataParams = DataParams()
    features: FeatureParams = FeatureParams()
    train: TrainParams = TrainParams()


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "params"
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r} (check its spelling against README's parameter table)"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Parse and validate ``path``; any problem becomes a one-line :class:`PipelineError`."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"cannot read {path}: {err}".splitlines()[0]) from err
    try:
        return Params.model_validate(raw)
    except ValidationError as err:
        raise PipelineError(f"{path}: {_describe(err.errors()[0])}") from err
