"""Benchmark: our batched scattering features vs Kymatio's torch ``Scattering2D``, in one run.

    python -m benchmarks.scattering --batches DIR [--device cpu] [--images N] [--kymatio-images N]

``DIR`` is the official CIFAR-10 python-version folder. Ours: ``scattering_features`` with the default
``ScatteringParams`` on ``--images`` images (default all 60,000) in chunks of 256, after one warm-up
chunk (timed and printed separately). On the CPU the chunks run one per core with single-threaded ops
(``--parallel pool``, the feature stage's scheme) or one after another with torch's intra-op threads
(``--parallel intra``). Kymatio: the same J, L and order, same device, batches of 128, on the first
``--kymatio-images`` images (its default intra-op threads), extrapolated to ``--images``. The two
agree to float32 rounding: the largest difference on Kymatio's first batch is printed too.
"""

import argparse
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D

from pipeline.data.cifar import load_split
from pipeline.features.extraction import intra_op_threads
from pipeline.features.scattering import ScatteringParams, scattering, scattering_features, scattering_names

KYMATIO_BATCH = 128


def load_images(batches: Path) -> np.ndarray:
    """All 60,000 images as uint8 ``(N, 32, 32, 3)``: the training batches, then the test batch."""
    return np.concatenate([load_split(batches, split)[0] for split in ("train", "test")])


def ours(
    images: np.ndarray, params: ScatteringParams, device: torch.device, chunk: int, parallel: str
) -> np.ndarray:
    """Features of all ``images``, ``chunk`` at a time, into one float32 array."""
    out = np.empty((len(images), len(scattering_names(params))), dtype=np.float32)

    def features_of(start: int) -> None:
        with torch.inference_mode():
            batch = torch.from_numpy(images[start : start + chunk]).to(device)
            out[start : start + len(batch)] = scattering_features(batch, params).cpu().numpy()

    starts = range(0, len(images), chunk)
    if device.type == "cpu" and parallel == "pool":
        cores = torch.get_num_threads()
        with intra_op_threads(1), ThreadPoolExecutor(cores) as pool:
            list(pool.map(features_of, starts))
    else:
        for start in starts:
            features_of(start)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out


def kymatio(images: np.ndarray, params: ScatteringParams, device: torch.device) -> tuple[float, float]:
    """Seconds Kymatio takes on ``images`` (after one warm-up batch), and its largest difference from ours."""
    transform = ScatteringTorch2D(J=params.J, shape=images.shape[1:3], L=params.L, max_order=params.order)
    transform = transform.to(device)

    def batch(start: int) -> torch.Tensor:
        pixels = torch.from_numpy(images[start : start + KYMATIO_BATCH]).to(device)
        return pixels.permute(0, 3, 1, 2).to(torch.float32).div(255).contiguous()

    with torch.inference_mode():
        first = batch(0)
        reference = transform(first)
        difference = (scattering(first, params.J, params.L, params.order) - reference).abs().max().item()
        started = time.perf_counter()
        for start in range(0, len(images), KYMATIO_BATCH):
            transform(batch(start))
        if device.type == "cuda":
            torch.cuda.synchronize()
    return time.perf_counter() - started, difference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=Path, required=True, help="the cifar-10-batches-py folder")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--images", type=int, default=60_000)
    parser.add_argument("--kymatio-images", type=int, default=5_000)
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--parallel", choices=("pool", "intra"), default="pool", help="CPU only")
    args = parser.parse_args()
    device = torch.device(args.device)
    params = ScatteringParams()
    images = load_images(args.batches)[: args.images]

    started = time.perf_counter()
    ours(images[: args.chunk_size], params, device, args.chunk_size, args.parallel)
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    features = ours(images, params, device, args.chunk_size, args.parallel)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    subset = images[: args.kymatio_images]
    kymatio_seconds, difference = kymatio(subset, params, device)
    our_rate, kymatio_rate = len(images) / seconds, len(subset) / kymatio_seconds

    threads = f"{args.parallel}, {torch.get_num_threads()} threads" if device.type == "cpu" else "GPU"
    print(f"device               {device} ({threads}), chunks of {args.chunk_size}")
    print(f"params               {params.model_dump()} -> {features.shape[1]} features")
    print(f"ours                 {our_rate:8.0f} images/s  ({seconds:6.2f} s for {len(images)} images)")
    print(
        f"kymatio 0.3.0        {kymatio_rate:8.0f} images/s  ({len(images) / kymatio_rate:6.2f} s for "
        f"{len(images)}, extrapolated from {len(subset)} in batches of {KYMATIO_BATCH})"
    )
    print(f"speed-up             {our_rate / kymatio_rate:8.1f} x")
    print(f"warm-up chunk        {warm_up:8.2f} s  (filters built; not in the time above)")
    print(f"peak RSS             {peak_mib:8.0f} MiB  (images and the float32 feature array included)")
    print(f"max |ours - kymatio| {difference:8.1e}  (raw coefficients, first {KYMATIO_BATCH} images)")


if __name__ == "__main__":
    main()
