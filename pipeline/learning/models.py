"""The lectures' networks: a perceptron (one linear layer) or an MLP, optionally behind a linear map
shared by the regions of the image (``train.bottleneck``); softmax lives in the loss.
An ensemble of them, and a network averaged over mirrored images, predict the mean of softmaxes."""

import math

import numpy as np
import torch
from torch import nn

from pipeline.learning.params import TrainParams
from pipeline.learning.regions import region_layout, require_regions
from pipeline.learning.views import view_columns

# One layer class per name in ``params.ACTIVATIONS`` (a test checks that they match).
ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def build_model(names: list[str], num_classes: int, params: TrainParams) -> nn.Module:
    """The network ``params`` describe for features ``names`` or, with ``train.ensemble`` above 1 or
    ``train.views``, an :class:`Ensemble`: ``train.ensemble`` networks per view, each initialised
    from the same generator in turn, so each starts elsewhere."""
    views = view_columns(names, params.views)
    if views is None and params.ensemble == 1:
        return build_network(names, num_classes, params)
    member_views = [view for view in views or [None] for _ in range(params.ensemble)]
    networks = [
        build_network(names if view is None else [names[i] for i in view], num_classes, params)
        for view in member_views
    ]
    return Ensemble(networks, [None if view is None else torch.as_tensor(view) for view in member_views])


def build_network(names: list[str], num_classes: int, params: TrainParams) -> nn.Sequential:
    """``perceptron``: Linear(in, classes). ``mlp``: a :class:`RegionProjection` with
    ``train.bottleneck``, then Linear → activation (→ dropout) per ``params.hidden`` width, then
    Linear."""
    width = len(names)
    if params.model == "perceptron":
        return nn.Sequential(nn.Linear(width, num_classes))
    layers: list[nn.Module] = []
    if params.bottleneck:
        matrices, rest = region_layout(names)
        require_regions(matrices)
        layers.append(projection := RegionProjection(matrices, rest, params.bottleneck))
        width = projection.out_features
    for next_width in params.hidden:
        layers += [nn.Linear(width, next_width), ACTIVATION_LAYERS[params.activation]()]
        if params.dropout:
            layers.append(nn.Dropout(params.dropout))
        width = next_width
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class RegionProjection(nn.Module):
    """One linear map per feature group with regions, shared by all its regions (a 1×1 convolution
    over the pooled maps, as the bottleneck of Thiry et al., ICLR 2021): each region's channels
    become ``width`` numbers; the columns of no such group pass through. The column indices are
    not weights: the model file's feature names give them."""

    def __init__(self, matrices: list[np.ndarray], rest: np.ndarray, width: int) -> None:
        super().__init__()
        self.maps = nn.ModuleList(nn.Linear(matrix.shape[1], width) for matrix in matrices)
        for i, matrix in enumerate(matrices):
            self.register_buffer(f"regions{i}", torch.as_tensor(matrix), persistent=False)
        self.register_buffer("rest", torch.as_tensor(rest), persistent=False)
        self.out_features = sum(len(matrix) for matrix in matrices) * width + len(rest)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shared = [m(x[:, getattr(self, f"regions{i}")]).flatten(1) for i, m in enumerate(self.maps)]
        return torch.cat([*shared, x[:, self.rest]], 1)


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
