"""The lectures' networks: a perceptron (one linear layer) or an MLP; softmax lives in the loss."""

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def build_model(
    in_features: int, num_classes: int, kind: str, hidden: list[int], activation: str
) -> nn.Sequential:
    """``perceptron``: Linear(in, classes). ``mlp``: Linear → activation per ``hidden`` width, then Linear."""
    if kind == "perceptron":
        return nn.Sequential(nn.Linear(in_features, num_classes))
    layers: list[nn.Module] = []
    width = in_features
    for next_width in hidden:
        layers += [nn.Linear(width, next_width), ACTIVATIONS[activation]()]
        width = next_width
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
