"""Turn a ``device`` param into a torch device that can do the stage's work.

``auto`` picks CUDA, then Apple's MPS, then the CPU, skipping MPS for work in float64 (the lecture and
extended feature sets), which MPS lacks; an explicit request is never silently replaced: an absent
device, or MPS for float64 work, is a one-line error naming the fix.
"""

import logging
import os
import re
from dataclasses import dataclass

import torch

from pipeline.common.errors import PipelineError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accelerators:
    """What this machine offers besides the CPU."""

    cuda: int  # CUDA devices
    mps: bool

    @classmethod
    def found(cls) -> "Accelerators":
        mps = getattr(torch.backends, "mps", None)
        return cls(
            torch.cuda.device_count() if torch.cuda.is_available() else 0, bool(mps and mps.is_available())
        )


def choose_device(
    name: str, key: str, *, float64: str | None = None, found: Accelerators | None = None
) -> tuple[str, str | None]:
    """The device for request ``name`` (the value of param ``key``) and, for ``auto``, why it was picked.

    ``float64`` names the work when it computes in float64 (e.g. "the lecture feature set"): MPS cannot
    run it. ``found`` is what the machine offers (default: :meth:`Accelerators.found`).
    """
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise PipelineError(f"{key}: unknown device {name!r}; set {key} to auto, cpu, cuda, cuda:N or mps")
    found = found or Accelerators.found()
    if name == "auto":
        if found.cuda:
            return "cuda", f"{key}: auto picked cuda"
        if found.mps and float64:
            return "cpu", f"{key}: auto picked cpu: {float64} computes in float64, which MPS does not support"
        return ("mps", f"{key}: auto picked mps") if found.mps else ("cpu", f"{key}: auto picked cpu")
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        if index >= found.cuda:
            raise PipelineError(
                f"{key}: {name} was asked for but this machine has {found.cuda} CUDA device(s); "
                f"set {key} to auto or cpu"
            )
    elif name == "mps":
        if not found.mps:
            raise PipelineError(
                f"{key}: mps was asked for but is not available here; set {key} to auto or cpu"
            )
        if float64:
            raise PipelineError(
                f"{key}: mps cannot compute {float64}, which needs float64 (MPS has none); "
                f"set {key} to cpu, or auto (which picks the CPU for it)"
            )
    return name, None


def resolve_device(name: str, key: str = "device", *, float64: str | None = None) -> torch.device:
    """:func:`choose_device` on this machine, logging why ``auto`` picked what it did."""
    chosen, why = choose_device(name, key, float64=float64)
    if why:
        log.info(why)
    return torch.device(chosen)


CUBLAS_WORKSPACE = ":4096:8"  # what PyTorch's reproducibility notes ask of cuBLAS for deterministic sums


def make_deterministic(device: torch.device) -> None:
    """PyTorch's deterministic settings for training on ``device``: on the CPU and with CUDA the same
    seed gives the same model on the same hardware and versions (CUDA needs cuBLAS's fixed workspace,
    set before its first use, and cuDNN without autotuning). A CUDA or MPS op that has no
    deterministic kernel warns instead of failing the run."""
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
