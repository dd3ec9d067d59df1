"""The lectures' networks: a perceptron (one linear layer) or an MLP; softmax lives in the loss.
An ensemble of them, and a network averaged over mirrored images, predict the mean of softmaxes."""

import math

import numpy as np
import torch
from torch import nn

from pipeline.learning.params import TrainParams

# One layer class per name in ``params.ACTIVATIONS`` (a test checks that they match).
ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def build_model(
    in_features: int, num_classes: int, params: TrainParams, views: list[np.ndarray] | None = None
) -> nn.Module:
    """The network ``params`` describe or, with ``train.ensemble`` above 1 or ``views`` (the column
    indices each view reads), an :class:`Ensemble`: ``train.ensemble`` networks per view, each
    initialised from the same generator in turn, so each starts elsewhere."""
    if views is None and params.ensemble == 1:
        return build_network(in_features, num_classes, params)
    columns = [None] if views is None else [torch.as_tensor(view) for view in views]
    member_views = [view for view in columns for _ in range(params.ensemble)]
    networks = [
        build_network(in_features if view is None else len(view), num_classes, params)
        for view in member_views
    ]
    return Ensemble(networks, member_views)


def build_network(in_features: int, num_classes: int, params: TrainParams) -> nn.Sequential:
    """``perceptron``: Linear(in, classes). ``mlp``: Linear → activation (→ dropout) per
    ``params.hidden`` width, then Linear."""
    if params.model == "perceptron":
        return nn.Sequential(nn.Linear(in_features, num_classes))
    layers: list[nn.Module] = []
    width = in_features
    for next_width in params.hidden:
        layers += [nn.Linear(width, next_width), ACTIVATION_LAYERS[params.activation]()]
        if params.dropout:
            layers.append(nn.Dropout(params.dropout))
        width = next_width
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def mean_of_softmaxes(logits: list[torch.Tensor]) -> torch.Tensor:
    """The log of the mean of the softmaxes of ``logits``: softmax, argmax and the losses read it as
    logits."""
    log_probabilities = torch.log_softmax(torch.stack(logits), -1)
    return torch.logsumexp(log_probabilities, 0) - math.log(len(logits))


class Ensemble(nn.Module):
    """Networks trained alike on the same rows from other initial weights and batch orders, each on
    its view's columns; it predicts the mean of their softmaxes, which usually errs less often than
    any one of them. The views are not weights: the model file's feature names and params give them."""

    def __init__(self, members: list[nn.Module], views: list[torch.Tensor | None]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        for i, view in enumerate(views):
            self.register_buffer(f"view{i}", view, persistent=False)

    def views(self) -> list[torch.Tensor | None]:
        """The column indices each member reads; None: every column."""
        return [getattr(self, f"view{i}") for i in range(len(self.members))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        members = zip(self.members, self.views(), strict=True)
        return mean_of_softmaxes([member(x if view is None else x[:, view]) for member, view in members])


class MirrorAveraged(nn.Module):
    """A network trained on images and their mirrors, predicting from both: the mean of the two
    softmaxes. ``mirror`` is the column permutation that gives a mirrored image's features; it
    applies to the scaled columns because the scaling was fitted on the rows and their mirrors, so a
    column and its mirror share their statistics."""

    def __init__(self, network: nn.Module, mirror: torch.Tensor) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("mirror", mirror)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mean_of_softmaxes([self.network(x), self.network(x[:, self.mirror])])
