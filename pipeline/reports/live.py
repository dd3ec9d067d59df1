"""DVCLive as the stages use it: per-epoch steps written as they happen (so a running stage can be
watched) and summaries that `dvc metrics` and `dvc exp show` read.

DVCLive runs inside `dvc repro` / `dvc exp run` here, so it must neither create experiments nor
write a dvc.yaml of its own: dvc.yaml declares its files (``<dir>/metrics.json``, ``<dir>/plots``).
It does not open the repository either (see ``StageLive``).

A run writes into ``<dir>.partial`` (git-ignored), moved into ``<dir>`` only once the stage's work
is done: a run stopped by Ctrl-C, SIGTERM or SIGKILL leaves no ``metrics.json`` that `dvc metrics
show` or `dvc exp show` would take for its result, and the next run removes what it left.
"""

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dvclive import Live
from tqdm import tqdm


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
    """A DVCLive logger for the block, writing only under :func:`partial_dir`; its files move into
    ``directory`` when the block completes (write the stage's other outputs inside it, before),
    ``metrics.json`` last, so that it exists only for a complete run.

    The previous run's files in ``directory`` go first (as `dvc repro` removes a stage's outputs),
    so they never sit beside a new model; DVC's ``.gitignore`` there stays. An exception removes
    the partial files; after a SIGKILL, where no code runs, the next call does."""
    partial = partial_dir(directory)
    shutil.rmtree(partial, ignore_errors=True)
    for entry in directory.iterdir() if directory.is_dir() else ():
        if entry.name != ".gitignore":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    try:
        with StageLive(dir=str(partial), save_dvc_exp=False, dvcyaml=False, report=None) as live:
            yield live
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    directory.mkdir(parents=True, exist_ok=True)
    for entry in sorted(partial.iterdir(), key=lambda entry: entry.name == "metrics.json"):
        entry.replace(directory / entry.name)
    partial.rmdir()


def log_epoch(live: Live, row: dict[str, float]) -> None:
    """One epoch of ``fit``'s log as DVCLive step ``epoch``: ``train_loss`` → ``train/loss`` and so
    on, ``lr`` as is; each metric's ``plots/metrics/<name>.tsv`` gains a row at once."""
    live.step = int(row["epoch"])
    for key, value in row.items():
        if key != "epoch":
            live.log_metric(key.replace("_", "/", 1), value)
    live.make_summary()


@contextmanager
def epoch_progress(live: Live, epochs: int) -> Iterator[Callable[[dict[str, float]], None]]:
    """A callback for ``fit``'s ``on_epoch``: each row to DVCLive (:func:`log_epoch`) and a progress bar
    on a terminal (none in logs, DVC's queue and CI, where its redraws would be noise)."""
    bar = tqdm(total=epochs, desc="train", unit="epoch", disable=not sys.stderr.isatty())

    def on_epoch(row: dict[str, float]) -> None:
        log_epoch(live, row)
        bar.set_postfix_str(f"val acc {row['val_accuracy']:.3f}" if "val_accuracy" in row else "")
        bar.update()

    try:
        yield on_epoch
    finally:
        bar.close()
