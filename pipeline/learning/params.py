"""The ``train`` section of params.yaml: the one place its knobs, defaults and choices are defined."""

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from pipeline.common.bounds import at_most, at_most_items
from pipeline.common.settings import Device, Section

Activation = Literal["relu", "tanh", "sigmoid", "gelu"]
Scaling = Literal["none", "lecture_minmax", "minmax", "zscore", "quantile"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
SCALINGS: tuple[str, ...] = get_args(Scaling)

Width = Annotated[
    int,
    Field(ge=1),
    at_most(
        65_536,
        "units per layer",
        "a wider layer on ~20,000 features is over 5 GB of weights (three times that with Adam's state)",
    ),
]


class TrainParams(Section):
    model: Literal["perceptron", "mlp"] = "mlp"
    hidden: Annotated[
        list[Width],
        at_most_items(
            16, "hidden layers", "a plain MLP on fixed features gains nothing from more, at their cost"
        ),
    ] = [128, 128]
    # MLP only; above 0: one linear map to this many numbers per feature group with regions (textons'
    # grid cells, scattering's positions), shared by all its regions, before the hidden layers.
    bottleneck: Annotated[
        int,
        Field(ge=0),
        at_most(4_096, "numbers per region", "a wider map than a region's channels only adds weights"),
    ] = 0
    activation: Activation = "relu"
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0  # after each hidden activation (MLP only)
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: Literal["sgd", "adam", "adamw"] = "adam"  # adamw: decoupled weight decay (Loshchilov & Hutter)
    lr: Annotated[float, Field(gt=0)] = 3e-3
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    lr_schedule: Literal["constant", "cosine"] = "cosine"  # cosine: anneal to 0 over `epochs`
    # bfloat16: the training passes' matrix products in bfloat16 (autocast; weights stay float32).
    precision: Literal["float32", "bfloat16"] = "float32"
    epochs: Annotated[
        int, Field(ge=1), at_most(10_000, "epochs", "the longest run here takes 200; 10,000 is days of CPU")
    ] = 100
    batch_size: Annotated[
        int,
        Field(ge=0),
        at_most(
            100_000,
            "rows per batch",
            "that is the whole training set with its mirrors; 0 means one full batch",
        ),
    ] = 512
    normalize: Scaling = "quantile"
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.1
    patience: Annotated[int, Field(ge=0)] = 0
    device: Device = "auto"
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    # More than 1: that many networks trained alike from other initial weights, predicting together
    # (the mean of their softmaxes); each costs a whole training.
    ensemble: Annotated[
        int, Field(ge=1), at_most(16, "networks", "each is a whole training; past a few they add little")
    ] = 1
    # Networks on column subsets: each view lists feature groups (the names' first word: texton,
    # scat, lbp, ...) and gets `ensemble` networks; empty: one view of every column.
    views: Annotated[
        list[Annotated[list[Annotated[str, Field(pattern=r"^[a-z0-9]+$")]], Field(min_length=1)]],
        at_most_items(16, "views", "each is a whole training"),
    ] = []

    @model_validator(mode="after")
    def _mlp_needs_hidden_layers(self) -> "TrainParams":
        if self.model == "mlp" and not self.hidden:
            raise ValueError("train.hidden must list at least one layer width for train.model: mlp")
        if self.model == "perceptron" and self.bottleneck:
            raise ValueError("train.bottleneck needs train.model: mlp; set train.bottleneck: 0")
        return self
