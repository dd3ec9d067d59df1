"""Stage ``download``: fetch data.url, check data.md5, unpack the batches to data/raw."""

from pipeline.cifar import BATCH_DIR
from pipeline.download import download_cifar
from pipeline.params import load_params
from pipeline.paths import RAW_DIR
from pipeline.stage import run_stage


def main() -> None:
    data = load_params().data
    download_cifar(data.url, data.md5, RAW_DIR / BATCH_DIR)


if __name__ == "__main__":
    run_stage(main)
