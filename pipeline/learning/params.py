"""The ``train`` section of params.yaml: the one place its knobs, defaults and choices are defined."""

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from pipeline.common.settings import Device, Section

Activation = Literal["relu", "tanh", "sigmoid", "gelu"]
Scaling = Literal["none", "lecture_minmax", "minmax", "zscore", "quantile"]
ACTIVATIONS: tuple[str, ...] = get_args(Activation)
SCALINGS: tuple[str, ...] = get_args(Scaling)


class TrainParams(Section):
    model: Literal["perceptron", "mlp"] = "mlp"
    hidden: list[Annotated[int, Field(ge=1)]] = [128, 128]
    activation: Activation = "relu"
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.0  # after each hidden activation (MLP only)
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: Literal["sgd", "adam", "adamw"] = "adam"  # adamw: decoupled weight decay (Loshchilov & Hutter)
    lr: Annotated[float, Field(gt=0)] = 3e-3
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    lr_schedule: Literal["constant", "cosine"] = "cosine"  # cosine: anneal to 0 over `epochs`
    epochs: Annotated[int, Field(ge=1)] = 100
    batch_size: Annotated[int, Field(ge=0)] = 512
    normalize: Scaling = "quantile"
    val_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.1
    patience: Annotated[int, Field(ge=0)] = 0
    device: Device = "auto"
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0

    @model_validator(mode="after")
    def _mlp_needs_hidden_layers(self) -> "TrainParams":
        if self.model == "mlp" and not self.hidden:
            raise ValueError("train.hidden must list at least one layer width for train.model: mlp")
        return self
