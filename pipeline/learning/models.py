"""The lectures' networks: a perceptron (one linear layer) or an MLP; softmax lives in the loss."""

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
