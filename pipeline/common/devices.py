"""Turn a ``device`` param into a torch device: ``auto`` falls back, an explicit request never does."""

import logging

import torch

from pipeline.common.errors import PipelineError

log = logging.getLogger(__name__)


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def resolve_device(name: str, key: str = "device") -> torch.device:
    """``auto`` → cuda, then mps, then cpu; ``cuda[:N]``/``mps`` must exist. ``key`` names the param."""
    if name == "auto":
        chosen = "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
        log.info("%s: auto picked %s", key, chosen)
        return torch.device(chosen)
    if name.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(name.partition(":")[2] or 0)
        if index >= count:
            raise PipelineError(
                f"{key}: {name} was asked for but this machine has {count} CUDA device(s); "
                f"set {key} to auto or cpu"
            )
    elif name == "mps" and not _mps_available():
        raise PipelineError(f"{key}: mps was asked for but is not available here; set {key} to auto or cpu")
    return torch.device(name)
