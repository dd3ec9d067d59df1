"""Shared fixtures: projects after a real `dvc repro`, built once per session and copied per test,
so that no test depends on what another one left behind."""

from pathlib import Path

import pytest

from pipeline.features.kernels import IMPLEMENTATIONS, Kernels
from tests.dvc_project import commit, copy_project, dvc, first_run, set_params


@pytest.fixture(params=sorted(IMPLEMENTATIONS), ids=lambda name: f"{name}-kernels")
def kernels(request: pytest.FixtureRequest) -> Kernels:
    """Every test that takes this runs once per compute path (both run on the CPU)."""
    return IMPLEMENTATIONS[request.param]


@pytest.fixture(scope="session")
def first_run_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project after a first full `dvc repro` on a tiny archive, everything committed. Never
    modified: tests take a copy (``first_run_project``)."""
    return first_run(tmp_path_factory.mktemp("first-run"))


@pytest.fixture
def first_run_project(first_run_template: Path, tmp_path: Path) -> Path:
    return copy_project(first_run_template, tmp_path)


@pytest.fixture(scope="session")
def two_commits_template(first_run_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first run, then a second commit with a new train.lr and Gabor frequency."""
    project = copy_project(first_run_template, tmp_path_factory.mktemp("two-commits"))
    set_params(project, **{"train.lr": 0.01, "features.lecture.gabor.frequency": 0.3})
    dvc(project, "repro")
    commit(project, "second run")
    return project


@pytest.fixture
def two_commits_project(two_commits_template: Path, tmp_path: Path) -> Path:
    return copy_project(two_commits_template, tmp_path)
