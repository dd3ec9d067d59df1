"""params.yaml's layout survives `dvc exp run -S`: DVC's own code for ``-S`` (``apply_overrides``,
which rewrites the file with ``modify_yaml``) on any list key leaves a valid file in which only that
key changed, and keeps every comment."""

import difflib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dvc.utils.hydra import apply_overrides

from pipeline.common.settings import read_params

REPO = Path(__file__).resolve().parents[1]
PARAMS = read_params(REPO / "params.yaml")


def list_keys(node: dict, prefix: str = "") -> Iterator[tuple[str, list]]:
    for key, value in node.items():
        if isinstance(value, list):
            yield f"{prefix}{key}", value
        elif isinstance(value, dict):
            yield from list_keys(value, f"{prefix}{key}.")


def override_value(value: object) -> str:
    """``value`` in DVC's -S grammar (Hydra's): ``[{points:8,radius:1.0}]``."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{override_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(override_value(item) for item in value) + "]"
    return str(value)


def comments(text: str) -> list[str]:
    return re.findall(r"#.*", text)


def set_param(tmp_path: Path, override: str) -> tuple[str, str]:
    """params.yaml before and after DVC applies ``override`` to it."""
    path = tmp_path / "params.yaml"
    shutil.copy(REPO / "params.yaml", path)
    apply_overrides(path, [override])
    return (REPO / "params.yaml").read_text(), path.read_text()


LISTS = dict(list_keys(PARAMS))
CASES = [(key, new) for key, value in LISTS.items() for new in ([], value[:1])]


def test_params_yaml_has_the_list_keys_this_test_covers() -> None:
    assert {"train.hidden", "features.extended.lbp", "features.extended.glcm_angles"} <= set(LISTS)


@pytest.mark.parametrize(("key", "new"), CASES, ids=[f"{key}={override_value(new)}" for key, new in CASES])
def test_set_param_on_a_list_key_changes_only_that_key(tmp_path: Path, key: str, new: list) -> None:
    before, after = set_param(tmp_path, f"{key}={override_value(new)}")
    expected = read_params(REPO / "params.yaml")
    *parents, leaf = key.split(".")
    node = expected
    for part in parents:
        node = node[part]
    node[leaf] = new
    assert read_params(tmp_path / "params.yaml") == expected  # valid YAML, only the key changed
    assert comments(after) == comments(before)


def test_set_param_on_a_number_changes_exactly_one_line(tmp_path: Path) -> None:
    before, after = set_param(tmp_path, "train.lr=0.01")
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]
    assert changed == ["-   lr: 0.003", "+   lr: 0.01"]
