"""Where each stage reads and writes, relative to the repository root (mirrors dvc.yaml)."""

from pathlib import Path

RAW_DIR = Path("data/raw")
FEATURES_DIR = Path("data/features")
FEATURE_NAMES_FILE = FEATURES_DIR / "names.json"
RECIPE_FILE = FEATURES_DIR / "recipe.json"
FLIPPED_TRAIN_FILE = FEATURES_DIR / "train_flipped.npy"  # features.augment: flip
MIRROR_FILE = FEATURES_DIR / "mirror.npy"  # features.augment: flip, a set whose mirrors permute its columns
LABELS_DIR = Path("data/labels")
MODEL_FILE = Path("models/model.pt")
HISTORY_FILE = Path("reports/train/history.csv")
KEPT_EPOCH_FILE = Path("reports/train/kept_epoch.csv")
CONFUSION_FILE = Path("reports/confusion.csv")
PER_CLASS_FILE = Path("reports/per_class.csv")
FIGURES_DIR = Path("reports/figures")
# DVCLive folders: `metrics.json` (summary, a DVC metric) and `plots/` (per-epoch steps, images)
TRAIN_LIVE_DIR = Path("dvclive/train")
EVALUATE_LIVE_DIR = Path("dvclive/evaluate")


def split_file(directory: Path, split: str) -> Path:
    """``data/features/train.npy`` and friends."""
    return directory / f"{split}.npy"
