"""How many CPU threads a training takes: a fixed number, whatever else runs on the machine.

PyTorch's sums depend on its thread count, so a count that followed the machine (its cores, its
load, the other trainings) would let the same params and seed give another model and dvc.lock.
One thread by default: on 2 cores a second thread makes a training alone faster, but beside any
other busy process its spinning threads wait on each other and the fit takes many times as long,
while one thread keeps its pace (docs/performance.md). ``CIFAR_TRAIN_THREADS`` chooses another
count, e.g. for a wide model on an otherwise idle machine.
"""

import os

from pipeline.common.errors import PipelineError

THREADS_ENV = "CIFAR_TRAIN_THREADS"
DEFAULT_THREADS = 1


def cpu_threads() -> int:
    """``CIFAR_TRAIN_THREADS`` when set, else :data:`DEFAULT_THREADS`. ``OMP_NUM_THREADS`` is not
    read: schedulers and containers set it per machine, and results must not follow the machine."""
    value = os.environ.get(THREADS_ENV, "")
    if not value:
        return DEFAULT_THREADS
    if not value.isdigit() or int(value) < 1:
        raise PipelineError(f"{THREADS_ENV}={value!r}: expected a whole number of threads, 1 or more")
    return int(value)
