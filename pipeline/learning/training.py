"""Train a perceptron or MLP on in-memory feature tensors.

The whole data set lives on the device as two tensors; a batch is a slice of a shuffled index, so
an epoch costs a handful of kernel launches, not a DataLoader's per-sample Python work. With
``batch_size: 0`` every epoch is one full-batch step, which is what the lectures' loop did (it
summed the losses of its 64-image batches and stepped once per epoch; a full batch weighs every
image equally, where the lectures' average of batch means gave the short last batch a little
more weight). Train loss and accuracy are the epoch's running values, measured during the pass
as the lectures logged them; validation and test are measured after it.
"""

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.common.errors import PipelineError
from pipeline.learning.models import Ensemble, build_model
from pipeline.learning.params import TrainParams

log = logging.getLogger(__name__)


@dataclass
class Split:
    """Scaled features (float32) and class indices of one split, on the training device."""

    x: torch.Tensor
    y: torch.Tensor


def loss_fn(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """``cross_entropy`` on logits, or the lectures' ``mse`` between softmax and one-hot targets."""
    if kind == "cross_entropy":
        return F.cross_entropy(logits, y)
    target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
    return F.mse_loss(torch.softmax(logits, 1), target)


@torch.no_grad()
def _measure(model: nn.Module, split: Split, kind: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Loss, number correct and predicted classes of ``model`` on ``split``, left on its device."""
    logits = model(split.x)
    predicted = logits.argmax(1)
    return loss_fn(logits, split.y, kind), (predicted == split.y).sum(), predicted


def predict(model: nn.Module, split: Split, kind: str) -> tuple[float, float, torch.Tensor]:
    """Loss, accuracy (a fraction) and predicted classes of ``model`` on ``split``."""
    loss, correct, predicted = _measure(model, split, kind)
    return loss.item(), correct.item() / len(split.y), predicted


def validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of a seeded random hold-out of ``fraction`` of ``n`` rows."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = round(n * fraction)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def _optimizer(params: TrainParams, model: nn.Module) -> torch.optim.Optimizer:
    return OPTIMIZERS[params.optimizer](model.parameters(), lr=params.lr, weight_decay=params.weight_decay)


def _train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: Split,
    batch_size: int,
    loss_kind: str,
    generator: torch.Generator,
    low_precision: bool = False,
    view: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass over ``train`` (only the columns ``view``, when given); returns its summed loss and
    number correct (the running values most loops log), left on the device: nothing is copied to or
    from the host inside an epoch."""
    model.train()
    n = len(train.x)
    full_batch = batch_size >= n
    order = None if full_batch else torch.randperm(n, generator=generator, device=train.x.device)
    loss_sum = torch.zeros((), device=train.x.device)
    correct = torch.zeros((), device=train.x.device, dtype=torch.int64)
    for start in range(0, n, batch_size):
        batch = slice(None) if order is None else order[start : start + batch_size]
        x, y = train.x[batch], train.y[batch]
        if view is not None:
            x = x[:, view]
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=low_precision):
            logits = model(x)
        loss = loss_fn(logits.float(), y, loss_kind)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
    return loss_sum, correct


@dataclass
class Fitted:
    """A fitted model, its per-epoch log, and the epoch whose weights it holds."""

    model: nn.Module
    history: list[dict[str, float]]
    kept_epoch: int  # the best validation epoch; without validation, the last one


def fit(
    params: TrainParams,
    train: Split,
    val: Split | None = None,
    *,
    test: Split | None = None,
    num_classes: int,
    names: list[str] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> Fitted:
    """Fit a model on ``train``; returns it with a per-epoch log.

    With ``val`` the model returned holds the best validation epoch's weights (and ``patience``
    may stop early); ``test``, when given, is only measured each epoch for the curves.
    ``names`` are the feature names (``names.json``) that ``train.views`` and ``train.bottleneck``
    read; without them the columns belong to no group and have no regions.
    ``on_epoch`` gets each epoch's log row as soon as it is complete (live tracking, progress).
    """
    torch.manual_seed(params.seed)
    device = train.x.device
    names = names if names is not None else [f"column{i}" for i in range(train.x.shape[1])]
    model = build_model(names, num_classes, params)
    model.to(device)
    # An ensemble's members train in step, each with its own optimizer and schedule, on batches from
    # one generator; the epoch's log is the ensemble's (train: the members' mean running values).
    members, member_views = (
        (list(model.members), model.views()) if isinstance(model, Ensemble) else ([model], [None])
    )
    optimizers = [_optimizer(params, member) for member in members]
    schedules = [
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, params.epochs)
        for optimizer in optimizers
        if params.lr_schedule == "cosine"
    ]
    generator = torch.Generator(device=device).manual_seed(params.seed)
    batch_size = params.batch_size or len(train.x)
    history: list[dict[str, float]] = []
    best_accuracy, best_state, best_epoch, since_best = -1.0, None, 0, 0
    measured_splits = {name: split for name, split in (("val", val), ("test", test)) if split is not None}
    bfloat16 = params.precision == "bfloat16"
    for epoch in range(1, params.epochs + 1):
        started = time.perf_counter()
        row = {"epoch": epoch, "lr": optimizers[0].param_groups[0]["lr"]}
        runs = [
            _train_one_epoch(member, optimizer, train, batch_size, params.loss, generator, bfloat16, view)
            for member, optimizer, view in zip(members, optimizers, member_views, strict=True)
        ]
        for schedule in schedules:
            schedule.step()
        model.eval()
        running = (sum(loss for loss, _ in runs), sum(correct for _, correct in runs))
        n_seen = len(train.y) * len(members)
        measured, finite = _epoch_log(model, running, n_seen, measured_splits, params.loss)
        row |= measured
        _stop_if_diverged(finite, row["train_loss"], history[0]["train_loss"] if history else None, params)
        history.append(row)
        if on_epoch is not None:
            on_epoch(row)
        log.debug("epoch %d took %.3f s", epoch, time.perf_counter() - started)  # not in history: determinism
        if val is None:
            continue
        if row["val_accuracy"] > best_accuracy:
            best_accuracy, best_state, best_epoch = (
                row["val_accuracy"],
                copy.deepcopy(model.state_dict()),
                epoch,
            )
            since_best = 0
            continue
        since_best += 1
        if params.patience and since_best >= params.patience:
            log.info("early stop at epoch %d: no better val accuracy for %d epochs", epoch, since_best)
            break
    if best_state is None:
        return Fitted(model, history, len(history))
    model.load_state_dict(best_state)
    return Fitted(model, history, best_epoch)


DIVERGENCE_FACTOR = 100.0  # a train loss this many times the first epoch's means the steps blew up


def _all_finite(model: nn.Module) -> torch.Tensor:
    return torch.stack([torch.isfinite(p).all() for p in model.parameters()]).all()


def _epoch_log(
    model: nn.Module,
    running: tuple[torch.Tensor, torch.Tensor],
    n_train: int,
    splits: dict[str, Split],
    kind: str,
) -> tuple[dict[str, float], bool]:
    """An epoch's ``{train,val,test}_{loss,accuracy}`` (train: the running values, from the summed loss
    and number correct in ``running``) and whether every weight is finite, read from the device in one
    transfer: one synchronisation per epoch, not one per number."""
    on_device = [_all_finite(model), *running]
    for split in splits.values():
        on_device.extend(_measure(model, split, kind)[:2])  # mean loss, number correct
    finite, train_loss_sum, train_correct, *values = torch.stack([v.double() for v in on_device]).tolist()
    row = {"train_loss": train_loss_sum / n_train, "train_accuracy": train_correct / n_train}
    for (name, split), loss, correct in zip(splits.items(), values[::2], values[1::2], strict=True):
        row[f"{name}_loss"], row[f"{name}_accuracy"] = loss, correct / len(split.y)
    return row, bool(finite)


def _stop_if_diverged(
    finite_weights: bool, loss: float, first_loss: float | None, params: TrainParams
) -> None:
    """Any optimizer can diverge without a NaN (Adam at a huge lr settles at a huge finite loss):
    stop on a non-finite loss or weight, or a loss far above the first epoch's."""
    finite = math.isfinite(loss) and finite_weights
    exploded = first_loss is not None and loss > DIVERGENCE_FACTOR * max(first_loss, 1e-12)
    if not finite or exploded:
        epoch_note = (
            "non-finite weights or loss" if not finite else f"loss {loss:.3g}, first epoch {first_loss:.3g}"
        )
        raise PipelineError(f"training diverged ({epoch_note}); lower train.lr (now {params.lr})")
