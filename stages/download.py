"""Stage ``download``: fetch the archive, check its md5, unpack the batches to data/raw.

It reads ``data.url`` and ``data.md5`` from params.yaml itself: spliced into dvc.yaml's shell
command they would run ``$(…)`` or backticks and mangle a URL's ``$`` or quotes.
"""

from pipeline.common.paths import RAW_DIR
from pipeline.common.settings import load_section
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR
from pipeline.download.fetch import download_cifar
from pipeline.download.params import DataParams


def main() -> None:
    params = load_section("data", DataParams)
    download_cifar(params.url, params.md5, RAW_DIR / BATCH_DIR)


if __name__ == "__main__":
    run_stage(main)
