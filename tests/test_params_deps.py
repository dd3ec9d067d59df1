"""Every knob that changes a stage's result is one of its dependencies in dvc.yaml (a knob left off
would leave stale outputs after its value changed), and no speed-or-place knob is one."""

import ast
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from pipeline.download.params import DataParams
from pipeline.features.params import ComputeParams, FeatureParams
from pipeline.learning.params import TrainParams
from pipeline.params import Params

REPO = Path(__file__).resolve().parents[1]
DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
RESULTS = {"data": DataParams, "features": FeatureParams, "train": TrainParams}  # change what a stage writes
PLACEMENT = {"compute": ComputeParams}  # change only where and how fast: identical outputs
OLD_FEATURES_LIST = [  # dvc.yaml's hand-kept list before features became one whole section
    "features.set",
    "features.augment",
    "features.implementation",
    "features.lecture",
    "features.extended",
    "features.scattering",
    "features.textons",
]


def knobs(model: type[BaseModel], prefix: str) -> set[str]:
    """Every leaf key of ``model`` as a dotted path (a list of sub-sections counts as one key)."""
    keys = set()
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            keys |= knobs(kind, f"{prefix}.{name}")
        else:
            keys.add(f"{prefix}.{name}")
    return keys


def declared_params(stage: str) -> list[str]:
    """A stage's ``params:`` in dvc.yaml; ``params.yaml:`` with no keys (the whole file) is ``""``."""
    entries = DVC_YAML[stage].get("params", [])
    return [entry if isinstance(entry, str) else "" for entry in entries]


def uncovered(keys: set[str], declared: list[str]) -> set[str]:
    """The keys that no declared param names, itself or through a section above it."""
    return {key for key in keys if not any(d == "" or key == d or key.startswith(d + ".") for d in declared)}


def sections_read(stage: str) -> set[str]:
    """The sections ``stages/<stage>.py`` loads (``load_section("features", ...)``)."""
    tree = ast.parse((REPO / "stages" / f"{stage}.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_section"
    }


def test_every_section_is_either_results_or_placement() -> None:
    sections = {name: field.annotation for name, field in Params.model_fields.items()}
    assert sections == RESULTS | PLACEMENT


@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_every_result_knob_a_stage_reads_is_its_dependency(stage: str) -> None:
    declared = declared_params(stage)
    for section in sections_read(stage):
        if section in PLACEMENT:
            assert not [d for d in declared if d == section or d.startswith(section + ".")]
        else:
            assert not uncovered(knobs(RESULTS[section], section), declared)


def test_the_stages_read_the_sections_expected() -> None:
    """The check above sees what each stage loads: a stage reading a new section shows up here."""
    read = {stage: sections_read(stage) for stage in DVC_YAML}
    assert read == {
        "check_params": set(),  # the whole file, through load_params
        "download": {"data"},
        "features": {"features", "compute"},
        "labels": set(),
        "train": {"train"},
        "evaluate": set(),  # the params saved in the model file
    }


def test_a_new_features_knob_off_a_hand_kept_list_is_caught() -> None:
    class Wider(FeatureParams):
        new_knob: int = 0

    assert "features.new_knob" in uncovered(knobs(Wider, "features"), OLD_FEATURES_LIST)
    assert not uncovered(knobs(Wider, "features"), declared_params("features"))
