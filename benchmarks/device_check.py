"""Device check: every feature set and the headline trainings on the CPU and on an accelerator,
compared and timed, in one table.

    python benchmarks/device_check.py                    # cuda (or mps) against this machine's CPU
    python benchmarks/device_check.py --device cpu       # no accelerator: the CPU's tensor path, the
                                                         # one a GPU runs, against the compiled loops

Needs a Python with torch and the project's libraries importable, nothing installed: the script puts
this checkout on ``sys.path`` (``benchmarks/device_wheels.sh`` downloads the few wheels a bare
PyTorch machine lacks). Data: the full real archive and a small real subset, built by
``shared/cifar10/build_mirror.py`` (``--shared DIR``; by default beside the checkout) when it is
there, else an archive of photo crops (``--synthetic``, also what CI runs). Steps: the quick tests
with the accelerator visible; each feature set on both sides of the small archive, compared; each
set timed on ``--images`` images (60,000: all of CIFAR-10); three trainings timed on both sides.
"""

import argparse
import importlib.util
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NEEDED = ("numpy", "torch", "skimage", "numba", "pandas", "pydantic", "ruamel.yaml", "tqdm", "PIL")
FOR_TESTS = ("pytest", "dvclive", "kymatio", "yaml")
# Largest |cpu - device| / max |cpu| of any column that the comparison accepts, by the dtype the set
# stores: float64 sets are integer and float64 arithmetic; float32 ones round somewhere (FFTs, matrix
# products); a float16 one is float32 work rounded once more, where a float32 difference can tip a
# value over a rounding boundary: one float16 step, at most 2**-10 of the value.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5, "float16": 2**-10 + 1e-5}


def missing(modules: tuple[str, ...]) -> list[str]:
    return [name for name in modules if importlib.util.find_spec(name) is None]


@dataclass
class Table:
    """Rows of ``step | CPU | device | ratio | check``, printed at the end."""

    device: str
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, step: str, cpu: str = "", device: str = "", ratio: str = "", check: str = "") -> None:
        self.rows.append((step, cpu, device, ratio, check))
        print(" | ".join(self.rows[-1]), flush=True)

    def render(self) -> str:
        head = ("step", "CPU", self.device, "CPU / device", "check")
        lines = [head, ("---",) * 5, *self.rows]
        return "\n".join("| " + " | ".join(row) + " |" for row in lines)


def timed(sync: Callable[[], None], work: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Seconds that ``work(*args, **kwargs)`` takes, the device's queue drained, and its result."""
    started = time.perf_counter()
    result = work(*args, **kwargs)
    sync()
    return time.perf_counter() - started, result


def build_archives(folder: Path, shared: Path | None) -> tuple[Path, Path, str]:
    """(small, full) archives in the official layout and where their images came from."""
    small, full = folder / "small", folder / "full"
    if shared is not None:
        mirror = [sys.executable, str(shared / "build_mirror.py")]
        subprocess.run(
            [*mirror, str(small), "--per-class-train", "100", "--per-class-test", "50"], check=True
        )
        subprocess.run([*mirror, str(full)], check=True)
        return small, full, "real CIFAR-10 (JPEG re-encoded mirror)"
    from tests.helpers import write_archive

    for path, per_class in ((small, 10), (full, 20)):
        path.mkdir()
        write_archive(path / "cifar-10-python.tar.gz", per_class_train=per_class, per_class_test=per_class)
    return small, full, "photo crops (synthetic archive)"


def load_archive(folder: Path) -> dict[str, tuple]:
    """``{"train": (images, labels), "test": …}`` of the archive in ``folder`` (ours: trusted)."""
    from pipeline.data.cifar import BATCH_DIR, load_split

    with tarfile.open(folder / "cifar-10-python.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    return {split: load_split(folder / BATCH_DIR, split) for split in ("train", "test")}


def run_quick_tests(table: Table) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    if result.returncode:
        print(result.stdout[-6000:], result.stderr[-3000:], sep="\n")
    table.add("quick tests (`pytest -m 'not slow'`)", device=f"{time.perf_counter() - started:.0f} s",
              check=f"{'ok' if result.returncode == 0 else 'FAILED'}: {summary}")  # fmt: skip


def compare_features(
    table: Table, small: dict, device: str, sync: Callable[[], None], sets: list[str]
) -> None:
    import numpy as np

    from pipeline.features import FEATURE_SETS, Recipe, extract
    from pipeline.features.kernels import TENSOR

    images = small["test"][0]
    kernels = TENSOR if device == "cpu" else None  # on the CPU: the tensor path a GPU would take
    for name in sets:
        recipe = Recipe.default(name).fitted(small["train"][0])
        on_cpu = extract(images, recipe, device="cpu", progress=False)
        on_device = extract(images, recipe, device=device, kernels=kernels, progress=False)
        sync()
        scale = np.maximum(np.abs(on_cpu).max(0), np.finfo(np.float64).tiny)
        worst = float((np.abs(on_cpu.astype(np.float64) - on_device) / scale).max())
        limit = TOLERANCE[np.dtype(FEATURE_SETS[name].dtype).name]
        verdict = "identical" if worst == 0 else f"≤ {limit:.2g}: {'ok' if worst <= limit else 'FAILED'}"
        table.add(f"{name} features, {len(images)} images, largest column-relative difference",
                  cpu="reference", device=f"{worst:.2e}", check=verdict)  # fmt: skip


def time_features(
    table: Table, images, device: str, chunk: int, sync, recipes: dict, cpu_images: int
) -> dict:
    """Seconds per feature set on both sides (the CPU's on the first ``cpu_images``, scaled to all of
    them); returns the device's features for the trainings."""
    from pipeline.features import extract
    from pipeline.features.kernels import TENSOR

    kernels = TENSOR if device == "cpu" else None
    features = {}
    for name, recipe in recipes.items():
        seconds = {}
        sides = (("cpu", images[:cpu_images], "cpu", 256, None), ("device", images, device, chunk, kernels))
        for side, batch, where, size, path in sides:
            options = {"device": where, "chunk_size": size, "kernels": path, "progress": False}
            extract(batch[:size], recipe, **options)  # warm-up: numba's and CUDA's one-off costs
            seconds[side], features[name] = timed(sync, extract, batch, recipe, **options)
        seconds["cpu"] *= len(images) / min(len(images), cpu_images)
        scaled = f" (timed on {cpu_images:,})" if cpu_images < len(images) else ""
        ratio = seconds["cpu"] / seconds["device"]
        table.add(f"{name} features, {len(images):,} images", cpu=f"{seconds['cpu']:.2f} s{scaled}",
                  device=f"{seconds['device']:.3f} s", ratio=f"{ratio:.1f}×")  # fmt: skip
    return features


def time_trainings(table: Table, features: dict, labels: dict, device: str, epochs: int, sync) -> None:
    """The lecture-5 preset, the default MLP and the scattering MLP (no flipped rows, ``epochs``
    epochs) on both sides: fit time, test accuracy, and whether a rerun on the device is identical."""
    import torch

    from pipeline.learning.params import TrainParams
    from scripts.preset import train_params

    runs = [
        ("lecture-5 preset", "lecture", train_params("lecture5")),
        ("default MLP (lecture set)", "lecture", TrainParams()),
        (f"scattering MLP, {epochs} epochs", "scattering",
         train_params("scattering-mlp").model_copy(update={"epochs": epochs})),
    ]  # fmt: skip
    for title, feature_set, params in (run for run in runs if run[1] in features):
        cpu_s, (cpu_acc, _) = timed(sync, train_once, params, features[feature_set], labels, "cpu")
        dev_s, (dev_acc, state) = timed(sync, train_once, params, features[feature_set], labels, device)
        _, (_, again) = timed(sync, train_once, params, features[feature_set], labels, device)
        same = all(torch.equal(state[key], again[key]) for key in state)
        table.add(f"train: {title}", cpu=f"{cpu_s:.2f} s (test {cpu_acc:.4f})",
                  device=f"{dev_s:.2f} s (test {dev_acc:.4f})", ratio=f"{cpu_s / dev_s:.1f}×",
                  check=f"rerun on {device} {'identical' if same else 'DIFFERS'}")  # fmt: skip


def train_once(params, x, labels: dict, device: str) -> tuple[float, dict]:
    """As the train stage does it (split, scale, move to ``device`` once, fit); test accuracy and weights."""
    import torch

    from pipeline.common.devices import make_deterministic
    from pipeline.learning.dataset import TrainingData, prepare
    from pipeline.learning.training import fit

    make_deterministic(torch.device(device))
    n_train = len(labels["train"])
    data = TrainingData(x[:n_train], labels["train"], x[n_train:], labels["test"], num_classes=10)
    splits = prepare(data, params, device)
    fitted = fit(params, splits.train, splits.val, test=splits.test, num_classes=10)
    return fitted.history[-1]["test_accuracy"], fitted.model.state_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device", default="auto", help="auto (cuda, then mps, then cpu) | cpu | cuda[:N] | mps"
    )
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "cifar10",
                        help="folder with build_mirror.py and the real images")  # fmt: skip
    parser.add_argument("--synthetic", action="store_true", help="photo crops instead of the real images")
    parser.add_argument("--images", type=int, default=60_000, help="images each feature set is timed on")
    parser.add_argument("--cpu-images", type=int, default=60_000, help="time the CPU on these, scaled")
    parser.add_argument("--chunk-size", type=int, default=4096, help="images per batch on the device")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the scattering MLP")
    parser.add_argument("--sets", nargs="+", help="feature sets to compare and time (default: all)")
    parser.add_argument("--skip-tests", action="store_true", help="do not run the quick tests")
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    lacking = missing(NEEDED) + ([] if args.skip_tests else missing(FOR_TESTS))
    if lacking:
        raise SystemExit(
            f"error: cannot import {', '.join(lacking)}; carry their wheels (benchmarks/device_wheels.sh)"
        )

    import numpy as np
    import torch

    from pipeline.common.devices import resolve_device
    from pipeline.features import FEATURE_SETS, Recipe, extract

    device = str(resolve_device(args.device, "--device"))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else device
    table = Table(f"{device} ({name})" if name != device else "cpu, tensor path")
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{torch.get_num_threads()} CPU threads, device {table.device}", flush=True)  # fmt: skip
    shared = None if args.synthetic or not (args.shared / "build_mirror.py").is_file() else args.shared
    with tempfile.TemporaryDirectory() as tmp:
        small_dir, full_dir, source = build_archives(Path(tmp), shared)
        small, full = load_archive(small_dir), load_archive(full_dir)
    print(f"data: {source}", flush=True)
    if not args.skip_tests:
        run_quick_tests(table)
    compare_features(table, small, device, sync, args.sets or sorted(FEATURE_SETS))
    archive = np.concatenate([full["train"][0], full["test"][0]])
    images = np.resize(archive, (args.images, *archive.shape[1:]))  # repeats a small archive's images
    chunk = args.chunk_size if device != "cpu" else 256  # the CPU's tensor path: the stage's default
    sets = args.sets or sorted(FEATURE_SETS)
    recipes = {name: Recipe.default(name).fitted(full["train"][0]) for name in sets}
    features = time_features(table, images, device, chunk, sync, recipes, args.cpu_images)
    if len(images) < len(archive) or not np.array_equal(images[: len(archive)], archive):
        features = {
            name: extract(archive, recipe, device=device, chunk_size=chunk, progress=False)
            for name, recipe in recipes.items()
        }
    labels = {"train": full["train"][1], "test": full["test"][1]}
    time_trainings(
        table, {k: v[: len(archive)] for k, v in features.items()}, labels, device, args.epochs, sync
    )
    if device.startswith("cuda"):
        table.add("peak GPU memory", device=f"{torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    print(f"\n{table.render()}\n\ndata: {source}")
    if args.out:
        args.out.write_text(f"{table.render()}\n\ndata: {source}\n")


if __name__ == "__main__":
    main()
