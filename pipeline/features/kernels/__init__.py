"""Two compute paths for the per-pixel steps of the texture features, chosen by device here alone.

* ``compiled`` — numba loops on the CPU: one pass per image in cache, several times faster there.
* ``tensor`` — whole-tensor PyTorch, for any device (CUDA, MPS).

Both do the same integer and float64 arithmetic; the tests run every feature through both.
"""

import torch

from pipeline.features.kernels.base import GRAY_LEVELS, LUMA_WEIGHTS, Kernels, lbp_offsets
from pipeline.features.kernels.compiled import CompiledKernels
from pipeline.features.kernels.tensor import TensorKernels, value_counts

COMPILED = CompiledKernels()
TENSOR = TensorKernels()
IMPLEMENTATIONS: dict[str, Kernels] = {COMPILED.name: COMPILED, TENSOR.name: TENSOR}


def kernels_for(device: torch.device) -> Kernels:
    """The compiled loops on the CPU, whole-tensor PyTorch everywhere else."""
    return COMPILED if device.type == "cpu" else TENSOR


__all__ = [
    "COMPILED",
    "GRAY_LEVELS",
    "IMPLEMENTATIONS",
    "LUMA_WEIGHTS",
    "TENSOR",
    "Kernels",
    "kernels_for",
    "lbp_offsets",
    "value_counts",
]
