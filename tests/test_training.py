"""The training engine: learns, is deterministic on CPU, stops clearly when it diverges."""

import itertools
from typing import get_args

import numpy as np
import pytest
import torch

from pipeline.common.errors import PipelineError
from pipeline.learning.models import Ensemble
from pipeline.learning.params import TrainParams
from pipeline.learning.training import OPTIMIZERS, Split, fit, loss_fn, validation_split


def blobs(n: int, seed: int) -> Split:
    """Three Gaussian clusters in 4 dimensions: easy to separate, not trivially."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    x = centres[y] + rng.normal(0, 0.7, (n, 4)).astype(np.float32)
    return Split(torch.from_numpy(x), torch.from_numpy(y))


def run(**overrides: object) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    params = TrainParams(**{"epochs": 30, "patience": 0, **overrides})
    fitted = fit(params, blobs(600, 0), blobs(200, 1), test=blobs(300, 2), num_classes=3)
    return fitted.model, fitted.history


@pytest.mark.parametrize("model", ["perceptron", "mlp"])
def test_learns_separable_classes(model: str) -> None:
    _, history = run(model=model, hidden=[16], lr=0.03)
    assert history[-1]["test_accuracy"] > 0.9
    assert history[-1]["train_loss"] < history[0]["train_loss"]


def test_lecture_style_full_batch_mse_sgd_learns() -> None:
    _, history = run(
        model="perceptron",
        loss="mse",
        optimizer="sgd",
        lr=10.0,
        batch_size=0,
        epochs=60,
        normalize="lecture_minmax",
    )
    assert len(history) == 60
    assert history[-1]["test_accuracy"] > 0.8


def test_same_seed_gives_identical_results_on_cpu() -> None:
    torch.use_deterministic_algorithms(True)
    (m1, h1), (m2, h2) = run(seed=3), run(seed=3)
    assert h1 == h2  # no wall-clock column: identical runs give identical histories
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_early_stopping_keeps_the_best_validation_epoch() -> None:
    model, history = run(epochs=200, patience=3, lr=0.05)
    assert len(history) < 200
    best = max(row["val_accuracy"] for row in history)
    val = blobs(200, 1)
    assert (model(val.x).argmax(1) == val.y).float().mean().item() == pytest.approx(best)


def test_fit_names_the_epoch_it_kept() -> None:
    params = TrainParams(epochs=40, lr=0.05)
    with_val = fit(params, blobs(600, 0), blobs(200, 1), num_classes=3)
    accuracies = [row["val_accuracy"] for row in with_val.history]
    assert with_val.kept_epoch == accuracies.index(max(accuracies)) + 1  # the first best epoch
    assert fit(params, blobs(600, 0), num_classes=3).kept_epoch == 40  # no validation: the last


def test_cosine_schedule_anneals_the_learning_rate_to_zero() -> None:
    _, constant = run(lr=0.05, lr_schedule="constant")
    _, cosine = run(lr=0.05, lr_schedule="cosine")
    assert {row["lr"] for row in constant} == {0.05}
    rates = [row["lr"] for row in cosine]
    assert rates[0] == 0.05 and all(a > b for a, b in itertools.pairwise(rates)) and rates[-1] < 0.05 * 0.01
    assert cosine[-1]["test_accuracy"] > 0.9


def test_dropout_is_active_in_training_only() -> None:
    model, history = run(model="mlp", hidden=[32, 32], dropout=0.5, lr=0.03)
    assert sum(isinstance(layer, torch.nn.Dropout) for layer in model) == 2
    x = blobs(50, 3).x
    model.train()
    assert not torch.equal(model(x), model(x))  # a fresh mask each call
    model.eval()
    assert torch.equal(model(x), model(x))
    assert history[-1]["test_accuracy"] > 0.9


def test_divergence_stops_with_a_hint_to_lower_the_learning_rate() -> None:
    with pytest.raises(PipelineError, match=r"diverged.*lower train.lr"):
        run(model="mlp", optimizer="sgd", lr=1e30, loss="cross_entropy")


def test_adam_divergence_without_nan_is_caught() -> None:
    """Adam at a huge lr does not overflow: its loss settles far above the start instead."""
    with pytest.raises(PipelineError, match=r"diverged \(loss .*, first epoch .*lower train.lr"):
        run(model="mlp", optimizer="adam", lr=1e6, epochs=20)


def test_mse_loss_is_softmax_against_one_hot() -> None:
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    expected = ((torch.softmax(logits, 1) - torch.tensor([[0.0, 1.0, 0.0]])) ** 2).mean()
    assert loss_fn(logits, torch.tensor([1]), "mse").item() == pytest.approx(expected.item())


def test_validation_split_is_disjoint_and_seeded() -> None:
    fit, val = validation_split(100, 0.2, seed=5)
    assert len(val) == 20 and len(fit) == 80 and not set(fit) & set(val)
    assert (validation_split(100, 0.2, seed=5)[1] == val).all()


def test_every_optimizer_choice_is_built_and_learns() -> None:
    assert set(OPTIMIZERS) == set(get_args(TrainParams.model_fields["optimizer"].annotation))
    _, history = run(model="mlp", hidden=[16], optimizer="adamw", lr=0.01, weight_decay=0.05)
    assert history[-1]["test_accuracy"] > 0.9


def test_an_ensemble_trains_its_members_apart_and_predicts_their_mean() -> None:
    params = TrainParams(hidden=[16], lr=0.03, epochs=10, ensemble=3)
    test = blobs(300, 2)
    fitted = fit(params, blobs(600, 0), blobs(200, 1), test=test, num_classes=3)
    model, kept = fitted.model, fitted.history[fitted.kept_epoch - 1]
    assert isinstance(model, Ensemble) and len(model.members) == 3
    first_layers = [member[0].weight for member in model.members]
    assert not any(torch.equal(a, b) for a, b in itertools.combinations(first_layers, 2))
    with torch.no_grad():
        mean = torch.stack([torch.softmax(member(test.x), 1) for member in model.members]).mean(0)
        torch.testing.assert_close(torch.softmax(model(test.x), 1), mean)
    assert kept["test_accuracy"] == pytest.approx((mean.argmax(1) == test.y).double().mean().item())
    assert kept["test_accuracy"] > 0.9


def test_bfloat16_training_keeps_float32_weights_and_learns() -> None:
    model, history = run(hidden=[16], lr=0.03, precision="bfloat16")
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert history[-1]["test_accuracy"] > 0.9
    _, in_float32 = run(hidden=[16], lr=0.03)
    assert history != in_float32  # the products did run in bfloat16
