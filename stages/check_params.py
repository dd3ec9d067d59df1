"""Stage ``check_params``: every key of params.yaml, whenever the file (or its schema) changes.

The other stages check only the section they read, and only when they run: without this stage a bad
value of a knob that is no stage's dependency (``features.device``, ``features.chunk_size``), or of a
stage that is up to date, would pass unnoticed until that stage next ran. Writes nothing.
"""

from pipeline.common.devices import resolve_device
from pipeline.common.stage import run_stage
from pipeline.params import load_params


def main() -> None:
    params = load_params()
    for key, device in (("features.device", params.features.device), ("train.device", params.train.device)):
        if device != "auto":  # auto always resolves; an explicit device must exist on this machine
            resolve_device(device, key)


if __name__ == "__main__":
    run_stage(main)
