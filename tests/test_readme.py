"""README.md's code as a user copies it: every Python block runs as written in a trained project,
and a shell block that cannot (placeholders to fill in) says it is an illustration."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dvc_project import REPO, venv_env

BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", (REPO / "README.md").read_text(), re.MULTILINE | re.DOTALL)
ILLUSTRATION = "# illustration"  # a shell block's first line when it is not meant to run as written
PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>|/abs/path|/mnt/")


def test_the_readme_has_python_and_shell_blocks() -> None:
    assert {kind for kind, _ in BLOCKS} == {"", "bash", "python"}  # "": the pipeline diagram


@pytest.mark.parametrize("code", [code for kind, code in BLOCKS if kind == "bash"])
def test_a_shell_block_with_placeholders_is_marked_an_illustration(code: str) -> None:
    if PLACEHOLDER.search(code):
        assert code.startswith(ILLUSTRATION), code


@pytest.mark.slow
@pytest.mark.parametrize("code", [code for kind, code in BLOCKS if kind == "python"])
def test_a_python_block_runs_as_written_in_a_trained_project(first_run_project: Path, code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=first_run_project, env=venv_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    *_, accuracy = result.stdout.split()
    assert 0 <= float(accuracy) <= 1  # the block's last line prints an accuracy
