"""End to end: the real `dvc repro` in a fresh git repo, on a tiny archive served from 127.0.0.1."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers import serve, write_archive

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pipeline", "stages", "dvc.yaml", "params.yaml", ".dvcignore", ".gitignore")
ALL_STAGES = {"download", "features", "labels", "train", "evaluate"}


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(cwd, sys.executable, "-m", "dvc", *args, check=check)


def stages_run(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"Running stage '(\w+)'", result.stdout))


def set_params(project: Path, **changes: object) -> None:
    """``set_params(p, **{"train.lr": 0.01})`` edits params.yaml like `dvc exp run -S` would."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = params
        for part in parents:
            node = node[part]
        node[leaf] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def make_project(root: Path) -> Path:
    """A fresh clone-like copy of the project: its files, git, `dvc init`."""
    project = root / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    run(project, "git", "init", "-q")
    run(project, "git", "config", "user.email", "test@example.com")
    run(project, "git", "config", "user.name", "test")
    dvc(project, "init", "-q")
    dvc(project, "config", "core.analytics", "false")
    return project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The project after a first full `dvc repro` and a commit of everything it produced."""
    root = tmp_path_factory.mktemp("e2e")
    archive = root / "site" / "cifar-10-python.tar.gz"
    md5 = write_archive(archive)
    project = make_project(root)
    with serve(archive.parent) as url:
        set_params(project, **{"data.url": f"{url}/{archive.name}", "data.md5": md5, "train.epochs": 5})
        first = dvc(project, "repro")
    assert stages_run(first) == ALL_STAGES, first.stdout
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "first run")
    yield project


def test_first_run_writes_metrics_plots_and_a_clean_status(project: Path) -> None:
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert metrics["test"]["loss"] > 0
    for name in ("loss.png", "accuracy.png", "confusion.png"):
        assert (project / "reports/figures" / name).read_bytes().startswith(b"\x89PNG")
    assert (project / "data/features/train.npy").exists() and (project / "data/labels/test.npy").exists()
    assert "up to date" in dvc(project, "status").stdout
    shown = dvc(project, "metrics", "show", "--json").stdout
    assert "accuracy" in shown


def test_nothing_changed_runs_nothing(project: Path) -> None:
    assert stages_run(dvc(project, "repro")) == set()


def test_learning_rate_reruns_only_train_and_evaluate(project: Path) -> None:
    set_params(project, **{"train.lr": 0.01})
    assert stages_run(dvc(project, "repro")) == {"train", "evaluate"}


def test_gabor_frequency_reruns_features_not_download_or_labels(project: Path) -> None:
    set_params(project, **{"features.gabor.frequency": 0.3})
    assert stages_run(dvc(project, "repro")) == {"features", "train", "evaluate"}


def test_editing_training_code_reruns_train_not_features(project: Path) -> None:
    with (project / "pipeline/training.py").open("a") as f:
        f.write("\n# a comment that changes the file's hash\n")
    assert stages_run(dvc(project, "repro")) == {"train", "evaluate"}
