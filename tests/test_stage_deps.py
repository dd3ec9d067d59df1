"""Each stage depends on exactly the code it runs: dvc.yaml's code deps are the files its imports
reach, and editing any library file makes `dvc status` report exactly the stages that import it."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.imports import REPO, declared_files, stage_files

DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
LIBRARY = sorted(str(path.relative_to(REPO)) for path in (REPO / "pipeline").rglob("*.py"))


@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_code_deps_are_exactly_the_imported_files(stage: str) -> None:
    """A declared folder counts all its files: each must be imported (else an edit to one the
    stage never runs would rerun it), and every imported file must be declared."""
    assert declared_files(DVC_YAML[stage]["deps"]) == stage_files(stage)


def test_download_runs_only_its_own_code_and_the_shared_plumbing() -> None:
    packages = {f.split("/")[1] for f in stage_files("download") if f.count("/") == 2}
    assert packages == {"common", "data", "download"}
    assert not any("devices" in f or "features" in f or "learning" in f for f in stage_files("download"))


def test_the_import_graph_follows_lazy_and_function_level_imports() -> None:
    """``pipeline.features`` re-exports ``extract`` lazily; check_params imports its device check
    inside a function. Both are code the stage runs."""
    assert "pipeline/features/extraction.py" in stage_files("features")
    assert "pipeline/common/devices.py" in stage_files("check_params")


def _status(project: Path) -> set[str]:
    """Stages `dvc status` reports as changed, from DVC's own API in one process (one CLI start per
    file would take minutes)."""
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        return {name.split(":")[-1] for name in repo.status()}


@pytest.mark.slow
def test_editing_any_library_file_reruns_exactly_the_stages_that_import_it(first_run_project: Path) -> None:
    importers = {stage: stage_files(stage) for stage in DVC_YAML}
    assert _status(first_run_project) == set()
    for relative in LIBRARY:
        path = first_run_project / relative
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        try:
            expected = {stage for stage, files in importers.items() if relative in files}
            assert _status(first_run_project) == expected, relative
        finally:
            path.write_bytes(original)
    assert _status(first_run_project) == set()


LOADED = "import sys, stages.{}\nfor m in list(sys.modules.values()): print(getattr(m, '__file__', None))"


@pytest.mark.slow
@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_the_graph_holds_what_python_loads(stage: str) -> None:
    """A check on the static graph itself: importing the stage loads no project file it misses."""
    out = subprocess.run(
        [sys.executable, "-c", LOADED.format(stage)], cwd=REPO, capture_output=True, text=True
    )
    loaded = {Path(f).relative_to(REPO).as_posix() for f in out.stdout.split() if f.startswith(f"{REPO}/")}
    assert out.returncode == 0, out.stderr
    assert {f for f in loaded if f.startswith(("pipeline/", "stages/"))} <= stage_files(stage)
