"""Stage ``download``: fetch the archive, check its md5, unpack the batches to data/raw.

dvc.yaml passes ``data.url`` and ``data.md5`` on the command line, so this stage needs no params schema.
"""

import argparse
import re

from pipeline.common.errors import PipelineError
from pipeline.common.paths import RAW_DIR
from pipeline.common.stage import run_stage
from pipeline.data.cifar import BATCH_DIR
from pipeline.download.fetch import download_cifar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="data.url: where the CIFAR-10 python archive is")
    parser.add_argument("--md5", required=True, help="data.md5: the md5 it must have")
    args = parser.parse_args()
    if not re.fullmatch(r"[0-9a-f]{32}", args.md5):
        raise PipelineError(
            f"data.md5: {args.md5!r} is not an md5 (32 lowercase hex digits); fix it in params.yaml"
        )
    download_cifar(args.url, args.md5, RAW_DIR / BATCH_DIR)


if __name__ == "__main__":
    run_stage(main)
