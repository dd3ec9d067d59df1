"""How many CPU threads a training takes: its share of the cores, so that trainings running side by
side (`dvc queue start -j 2`, two terminals) do not oversubscribe them.

Two trainings that each ran a thread per core on 2 cores took 2–8× as long as running them in turn
(timings: docs/performance.md). The share is decided once, at the start: PyTorch's results depend
slightly on its thread count, so a run keeps one count from start to end.
"""

import os
from pathlib import Path

from pipeline.common.errors import PipelineError

THREADS_ENV = "CIFAR_TRAIN_THREADS"
TRAIN_COMMAND = b"\0-m\0stages.train\0"  # how `python -m stages.train` appears in /proc/<pid>/cmdline


def available_cores() -> int:
    """The cores this process may run on: its affinity (which containers and `taskset` narrow) where
    the OS has one, else all of them."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def is_training(cmdline: bytes) -> bool:
    """Whether a ``/proc/<pid>/cmdline`` is a Python running the train stage; not a wrapper such as
    ``time python -m stages.train``, whose Python child is counted instead."""
    program = cmdline.split(b"\0", 1)[0]
    return os.path.basename(program).startswith(b"python") and TRAIN_COMMAND in cmdline


def running_trainings(proc: Path = Path("/proc")) -> int:
    """Train stages running now (``python -m stages.train``, this one included), from ``/proc``; 0
    where there is no ``/proc`` (macOS, Windows)."""
    count = 0
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            count += is_training(cmdline.read_bytes())
        except OSError:  # the process ended, or is not ours to read
            continue
    return count


def cpu_threads() -> int:
    """``CIFAR_TRAIN_THREADS``, else ``OMP_NUM_THREADS``, else the available cores divided among the
    trainings running now (at least one thread each)."""
    for variable in (THREADS_ENV, "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "")
        if value:
            if not value.isdigit() or int(value) < 1:
                raise PipelineError(f"{variable}={value!r}: expected a whole number of threads, 1 or more")
            return int(value)
    return max(1, available_cores() // max(1, running_trainings()))
