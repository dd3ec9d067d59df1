"""The lectures' networks: a perceptron (one linear layer) or an MLP; softmax lives in the loss."""

import math

import torch
from torch import nn

from pipeline.learning.params import TrainParams

# One layer class per name in ``params.ACTIVATIONS`` (a test checks that they match).
ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def build_model(in_features: int, num_classes: int, params: TrainParams) -> nn.Sequential:
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


class MirrorAveraged(nn.Module):
    """A network trained on images and their mirrors, predicting from both: its output is the log of
    the mean of the two softmaxes, so softmax, argmax and the losses read it as logits. ``mirror`` is
    the column permutation that gives a mirrored image's features; it applies to the scaled columns
    because the scaling was fitted on the rows and their mirrors, so a column and its mirror share
    their statistics."""

    def __init__(self, network: nn.Module, mirror: torch.Tensor) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("mirror", mirror)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pair = torch.stack([self.network(x), self.network(x[:, self.mirror])])
        return torch.logsumexp(torch.log_softmax(pair, -1), 0) - math.log(2)
