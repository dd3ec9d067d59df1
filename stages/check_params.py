"""Stage ``check_params``: every key of params.yaml, whenever the file (or its schema) changes.

The other stages check only the section they read, and only when they run: without this stage a
bad value of a knob that is no stage's dependency (``compute.*``), a typo in a section no stage
reads, or a bad value of a stage that is up to date would pass unnoticed until that stage next ran.

It writes nothing, so DVC cannot restore it from the run-cache and it runs on every edit of
params.yaml: it is kept cheap instead (a Python start with pydantic and the schemas; torch, which
takes seconds to import, only to look for an explicitly named device). An output to make it
run-cacheable would save that start only when a configuration comes back, at the price of a file
nobody reads.
"""

from pipeline.common.stage import run_stage
from pipeline.params import load_params


def main() -> None:
    params = load_params()
    explicit = {
        key: device
        for key, device in (
            ("compute.features.device", params.compute.features.device),
            ("train.device", params.train.device),
        )
        if device != "auto"  # auto always resolves; an explicit device must exist on this machine
    }
    if explicit:
        from pipeline.common.devices import resolve_device  # torch: seconds to import, only when needed

        for key, device in explicit.items():
            resolve_device(device, key)


if __name__ == "__main__":
    run_stage(main)
