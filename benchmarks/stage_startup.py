"""Benchmark: how long the light stages take to start, on a tiny archive served from 127.0.0.1.

    python -m benchmarks.stage_startup [--runs 5]

Runs ``python -m stages.download`` (over HTTP) and then ``python -m stages.labels`` ``--runs``
times each in a scratch folder and prints, per stage, the median and range of the time to its
first log line (the download's ``downloading URL``: everything imported, nothing fetched yet) and
of its total time. The archive is the tests' 60 photo crops, so the figures are start-up, not work.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.helpers import REPO, serve, write_archive


def timed(stage: str, cwd: Path) -> tuple[float, float]:
    """Seconds to the stage's first stderr line (its total when it logs nothing) and in all."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", f"stages.{stage}"], cwd=cwd, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    first = process.stderr.readline()
    first_s = time.perf_counter() - started
    rest = process.stderr.read()
    if process.wait() != 0:
        raise SystemExit(f"stages.{stage} failed:\n{first}{rest}")
    total_s = time.perf_counter() - started
    return (first_s if first else total_s), total_s


def summary(label: str, seconds: list[float]) -> str:
    return f"{label} median {statistics.median(seconds):.2f} s ({min(seconds):.2f}-{max(seconds):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        md5 = write_archive(work / "site" / "cifar-10-python.tar.gz")
        with serve(work / "site") as base:
            params = {"data": {"url": f"{base}/cifar-10-python.tar.gz", "md5": md5}}
            (work / "params.yaml").write_text(yaml.safe_dump(params))
            for stage in ("download", "labels"):
                times = [timed(stage, work) for _ in range(runs)]
                first, total = zip(*times, strict=True)
                print(f"stages.{stage}: {summary('first log line', first)}, {summary('total', total)}")


if __name__ == "__main__":
    main()
