"""DVCLive as the stages use it: per-epoch steps written as they happen (so `dvc exp run` and the
VS Code extension show them live) and summaries that `dvc metrics` and `dvc exp show` read.

DVCLive runs inside `dvc repro` / `dvc exp run` here, so it must neither create experiments nor
write a dvc.yaml of its own: dvc.yaml declares its files (``<dir>/metrics.json``, ``<dir>/plots``).
It does not open the repository either (see ``StageLive``).

A run writes into ``<dir>.partial`` (git-ignored), renamed to ``<dir>`` only once the stage's work
is done: a run stopped by Ctrl-C, SIGTERM or SIGKILL leaves no ``metrics.json`` that `dvc metrics
show` or `dvc exp show` would take for its result, and the next run removes what it left.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dvclive import Live


class StageLive(Live):
    """``Live`` without its repository hooks, which a stage run by DVC does not need (DVC owns
    git, experiments and dvc.yaml) and which break it: in a git repository without commits yet
    DVCLive 3.49 raises "Empty git repo" (its issue #522), and outside a DVC repository it runs
    `dvc init` in the enclosing git repository."""

    def _init_dvc(self) -> None:
        """Nothing to set up: no experiment to save, no dvc.yaml to write, no files to `git add`."""


def partial_dir(directory: Path) -> Path:
    """Where a run's DVCLive files grow until the run is complete: ``dvclive/train.partial``."""
    return directory.with_name(f"{directory.name}.partial")


@contextmanager
def open_live(directory: Path) -> Iterator[Live]:
    """A DVCLive logger for the block, writing only under :func:`partial_dir`; ``directory`` gets
    its files when the block completes (write the stage's other outputs inside it, before).

    The previous run's ``directory`` goes first (as `dvc repro` removes a stage's outputs), so it
    never sits beside a new model. An exception removes the partial files; after a SIGKILL, where
    no code runs, the next call does."""
    partial = partial_dir(directory)
    for stale in (directory, partial):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        with StageLive(dir=str(partial), save_dvc_exp=False, dvcyaml=False, report=None) as live:
            yield live
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(directory)


def log_epoch(live: Live, row: dict[str, float]) -> None:
    """One epoch of ``fit``'s log as DVCLive step ``epoch``: ``train_loss`` → ``train/loss`` and so
    on, ``lr`` as is; each metric's ``plots/metrics/<name>.tsv`` gains a row at once."""
    live.step = int(row["epoch"])
    for key, value in row.items():
        if key != "epoch":
            live.log_metric(key.replace("_", "/", 1), value)
    live.make_summary()
