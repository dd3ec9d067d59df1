"""DVCLive as the stages use it: per-epoch steps written as they happen (so `dvc exp run` and the
VS Code extension show them live) and summaries that `dvc metrics` and `dvc exp show` read.

DVCLive runs inside `dvc repro` / `dvc exp run` here, so it must neither create experiments nor
write a dvc.yaml of its own: dvc.yaml declares its files (``<dir>/metrics.json``, ``<dir>/plots``).
It does not open the repository either (see ``StageLive``).
"""

from pathlib import Path

from dvclive import Live


class StageLive(Live):
    """``Live`` without its repository hooks, which a stage run by DVC does not need (DVC owns
    git, experiments and dvc.yaml) and which break it: in a git repository without commits yet
    DVCLive 3.49 raises "Empty git repo" (its issue #522), and outside a DVC repository it runs
    `dvc init` in the enclosing git repository."""

    def _init_dvc(self) -> None:
        """Nothing to set up: no experiment to save, no dvc.yaml to write, no files to `git add`."""


def open_live(directory: Path) -> Live:
    """A DVCLive logger writing only under ``directory`` (it clears what a previous run left there)."""
    return StageLive(dir=str(directory), save_dvc_exp=False, dvcyaml=False, report=None)


def log_epoch(live: Live, row: dict[str, float]) -> None:
    """One epoch of ``fit``'s log as DVCLive step ``epoch``: ``train_loss`` → ``train/loss`` and so
    on, ``lr`` as is; each metric's ``plots/metrics/<name>.tsv`` gains a row at once."""
    live.step = int(row["epoch"])
    for key, value in row.items():
        if key != "epoch":
            live.log_metric(key.replace("_", "/", 1), value)
    live.make_summary()
