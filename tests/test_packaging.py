"""The package takes ranges (users keep their PyTorch); requirements.lock pins what CI tests."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _requirements() -> list[Requirement]:
    project = _project()
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras if not r.startswith(project["name"])]


def test_dependencies_are_ranges_without_upper_caps() -> None:
    for requirement in _requirements():
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">="}, f"{requirement}: a lower bound only (no pin, no cap)"


def test_the_lock_pins_every_dependency_inside_its_range() -> None:
    pins = _lock()
    for requirement in _requirements():
        version = pins.get(canonicalize_name(requirement.name))
        assert version, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(version), f"lock has {requirement.name}=={version}"


def test_python_versions_3_11_to_3_13_are_supported() -> None:
    project = _project()
    assert project["requires-python"] == ">=3.11"
    for minor in (11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in project["classifiers"]


def test_installing_into_an_environment_with_torch_installs_only_this_package() -> None:
    """The test environment already has the lock's torch: `pip install .` must keep it (and the rest)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation",
         "--quiet", "--report", "-", f"{REPO}[test]"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    installs = [item["metadata"]["name"] for item in json.loads(result.stdout)["install"]]
    assert installs == [_project()["name"]]
