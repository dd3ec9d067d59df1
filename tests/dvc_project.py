"""A fresh copy of the project in its own git + DVC repo, and helpers to drive the real CLI."""

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml

from pipeline.common.settings import read_params
from pipeline.features import FEATURE_SETS, Recipe, extract
from tests.helpers import serve, write_archive

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pipeline", "stages", "dvc.yaml", "params.yaml", ".dvcignore", ".gitignore")
ALL_STAGES = {"check_params", "download", "features", "labels", "train", "evaluate"}


def venv_env() -> dict[str, str]:
    """The environment with this interpreter's bin first, so stage commands' `python` is ours."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=venv_env(), capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def dvc(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(cwd, sys.executable, "-m", "dvc", *args, check=check)


def stages_run(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"Running stage '(\w+)'", result.stdout))


def set_params(project: Path, **changes: object) -> None:
    """``set_params(p, **{"train.lr": 0.01})`` edits params.yaml like `dvc exp run -S` would."""
    params = read_params(project / "params.yaml")  # as the stages and DVC read it
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = params
        for part in parents:
            node = node[part]
        node[leaf] = value
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@functools.cache
def compile_cpu_kernels() -> None:
    """Compile the numba kernels once into this checkout's ``__pycache__``, which ``make_project``
    copies: otherwise every copy's first features stage spends seconds compiling them again."""
    for feature_set in FEATURE_SETS:
        recipe = Recipe.default(feature_set)
        if not recipe.needs_fit:  # a learned set (textons) has no numba kernels
            extract(np.zeros((1, 32, 32, 3), np.uint8), recipe)


def make_project(root: Path) -> Path:
    """A fresh clone-like copy of the project: its files (and numba's cache), git, `dvc init`."""
    compile_cpu_kernels()
    project = root / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():  # copytree keeps the sources' mtimes, which numba's cache index checks
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("*.pyc"))
        else:
            shutil.copy2(source, project / name)
    run(project, "git", "init", "-q")
    run(project, "git", "config", "user.email", "test@example.com")
    run(project, "git", "config", "user.name", "test")
    dvc(project, "init", "-q")
    dvc(project, "config", "core.analytics", "false")
    return project


def first_run(root: Path) -> Path:
    """A project after a full `dvc repro` on a tiny archive served from 127.0.0.1, all committed."""
    archive = root / "site" / "cifar-10-python.tar.gz"
    md5 = write_archive(archive)
    project = make_project(root)
    with serve(archive.parent) as url:
        set_params(project, **{"data.url": f"{url}/{archive.name}", "data.md5": md5, "train.epochs": 5})
        first = dvc(project, "repro")
    assert stages_run(first) == ALL_STAGES, first.stdout
    commit(project, "first run")
    return project


def copy_project(source: Path, root: Path) -> Path:
    """An independent copy of a project (work tree, git history, DVC cache) under ``root``."""
    return Path(shutil.copytree(source, root / "project", symlinks=True))


def insert_after(path: Path, anchor: str, line: str) -> None:
    """Add ``line`` after the line ``anchor`` of ``path``, as an edit to the code would."""
    text = path.read_text()
    assert anchor + "\n" in text, f"{anchor!r} not in {path}"
    path.write_text(text.replace(anchor + "\n", f"{anchor}\n{line}\n", 1))


def default_ctrl_c() -> None:
    """Give the child the default SIGINT action: a runner that started the tests in the background
    (`cmd &`, nohup) makes them inherit SIGINT ignored, and then a Ctrl-C would never arrive."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def held_stage(project: Path, stage: str) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``dvc repro -f -s stage`` running in the background, its command held at its start.

    dvc.yaml's command first writes ``started`` and waits for ``go``; the context yields once
    ``started`` exists, so DVC holds its lock, and creates ``go`` (and restores dvc.yaml) on exit.
    """
    dvc_yaml = project / "dvc.yaml"
    original = dvc_yaml.read_text()
    spec = yaml.safe_load(original)
    wait = "[time.sleep(0.02) for _ in iter(lambda: os.path.exists('go'), True)]"
    hold = f"import os, time; open('started', 'w').close(); {wait}"
    spec["stages"][stage]["cmd"] = f'python -c "{hold}" && ' + spec["stages"][stage]["cmd"]
    dvc_yaml.write_text(yaml.safe_dump(spec, sort_keys=False))
    process = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro", "-f", "-s", stage], cwd=project, env=venv_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,  # its own Ctrl-C group
        preexec_fn=default_ctrl_c,
    )  # fmt: skip
    try:
        while not (project / "started").exists():
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        yield process, project / "go"
    finally:
        (project / "go").touch()
        process.communicate(timeout=300)
        dvc_yaml.write_text(original)
        for flag in ("started", "go"):
            (project / flag).unlink(missing_ok=True)


def commit(project: Path, message: str) -> None:
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", message)
