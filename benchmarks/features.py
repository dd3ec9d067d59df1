"""Benchmark: batched texture features vs lecture 3's per-image scikit-image loop, in one run.

    python -m benchmarks.features [--batches DIR] [--feature-set lecture|extended] [--device cpu]

Prints images/s of both, their ratio, the time for all 60,000 images (after a one-chunk warm-up,
whose time is printed too: it includes numba's one-off compilation when its cache is cold), the
parity of the chosen set with its scikit-image reference (the worst nine features), and the peak
memory of the fast path (a child process that only loads the images and extracts, like the
features stage). The baseline is always lecture 3's per-image loop for its nine features.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pipeline.data.cifar import load_split
from pipeline.features import FEATURE_SETS, Recipe, extract


def all_images(batches: Path) -> np.ndarray:
    return np.concatenate([load_split(batches, "train")[0], load_split(batches, "test")[0]])


def fast_run(batches: Path, feature_set: str, device: str, chunk_size: int) -> dict:
    """Child-process body: load, extract all images, report seconds and peak RSS."""
    images = all_images(batches)
    started = time.perf_counter()
    extract(images[:chunk_size], Recipe.default(feature_set), device=device, chunk_size=chunk_size)  # warm-up
    warm_up_seconds = time.perf_counter() - started
    started = time.perf_counter()
    extract(images, Recipe.default(feature_set), device=device, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "images": len(images),
        "seconds": seconds,
        "warm_up_seconds": warm_up_seconds,
        "peak_rss_mib": peak_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=Path, default=Path("data/raw/cifar-10-batches-py"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--feature-set", default="lecture", choices=sorted(FEATURE_SETS))
    parser.add_argument("--reference-images", type=int, default=3000, help="images for the slow loop")
    parser.add_argument("--parity-images", type=int, default=200, help="images for the extended parity check")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(fast_run(args.batches, args.feature_set, args.device, args.chunk_size)))
        return

    command = [sys.executable, "-m", "benchmarks.features", "--child", "--batches", str(args.batches)]
    command += [
        "--feature-set",
        args.feature_set,
        "--device",
        args.device,
        "--chunk-size",
        str(args.chunk_size),
    ]
    fast = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)

    images = load_split(args.batches, "test")[0][: args.reference_images]
    started = time.perf_counter()
    # The baseline is always lecture 3's loop for its nine features.
    slow = extract(images, implementation="reference")
    reference_rate = len(images) / (time.perf_counter() - started)
    if args.feature_set != "lecture":
        images = images[: args.parity_images]
        slow = extract(images, Recipe.default(args.feature_set), implementation="reference")
    quick = extract(images, Recipe.default(args.feature_set), device=args.device, chunk_size=args.chunk_size)
    relative = np.abs(quick - slow) / np.maximum(np.abs(slow), 1e-300)
    fast_rate = fast["images"] / fast["seconds"]

    print(f"device                  {args.device}, chunk {args.chunk_size}")
    print(
        f"scikit-image loop       {reference_rate:10.0f} images/s"
        f"  ({fast['images'] / reference_rate:7.1f} s for all; lecture features)"
    )
    print(
        f"batched {args.feature_set:15s} {fast_rate:10.0f} images/s"
        f"  ({fast['seconds']:7.2f} s for {fast['images']})"
    )
    print(f"speed-up                {fast_rate / reference_rate:10.1f} x")
    print(
        f"first chunk (warm-up)   {fast['warm_up_seconds']:10.2f} s"
        "  (not timed above; includes numba's compilation when its cache is cold)"
    )
    print(f"peak memory (fast path) {fast['peak_rss_mib']:10.0f} MiB  (loading all images included)")
    print(f"parity on {len(images)} images: within 1e-4 relative for {np.mean(relative.max(1) <= 1e-4):.4%}")
    names = Recipe.default(args.feature_set).names()
    for i in np.argsort(relative.max(0))[::-1][:9]:
        print(f"  {names[i]:28s} max relative difference {relative[:, i].max():.1e}")


if __name__ == "__main__":
    main()
