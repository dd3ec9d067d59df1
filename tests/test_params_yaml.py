"""params.yaml is read exactly as DVC reads it, so a stage trains on the values that dvc.lock,
`dvc params diff` and `dvc exp show` record; tags that would build objects are refused."""

from pathlib import Path

import pytest
from dvc.utils.serialize import parse_yaml as dvc_parse_yaml
from dvc.utils.serialize._yaml import YAMLFileCorruptedError

from pipeline.common.errors import PipelineError
from pipeline.common.settings import load_section, parse_yaml, read_params
from pipeline.learning.params import TrainParams

# Forms where YAML 1.1 (PyYAML) and YAML 1.2 (DVC's ruamel.yaml) disagree, and a few where they agree.
FORMS = ["010", "0o17", "1:30", "on", "off", "yes", "Yes", "NO", "1e-3", "1_000", ".5", "~", "0x1F", "+1"]
FORMS += ["-.inf", "2025-01-01", "'010'", "[1, 2]", "{a: 1}", "null", "true", "1.0e+3", "0b11", "1__0"]


@pytest.mark.parametrize("form", FORMS)
def test_values_are_those_dvc_reads(form: str) -> None:
    text = f"train:\n  value: {form}\n"
    ours, dvcs = parse_yaml(text, "params.yaml"), dvc_parse_yaml(text, "params.yaml")
    assert ours == dvcs and type(ours["train"]["value"]) is type(dvcs["train"]["value"])


TAGS = ["!!python/object:os.Path {}", "!!python/object/apply:os.system ['true']", "!!python/name:os.system"]


@pytest.mark.parametrize("tagged", TAGS)
def test_object_tags_are_refused_as_dvc_refuses_them(tagged: str) -> None:
    text = f"train:\n  value: {tagged}\n"
    with pytest.raises(YAMLFileCorruptedError):
        dvc_parse_yaml(text, "params.yaml")
    with pytest.raises(PipelineError, match=r"cannot read params\.yaml"):
        parse_yaml(text, "params.yaml")


def test_a_command_tag_is_one_line_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "params.yaml"
    path.write_text(f"train:\n  lr: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(PipelineError) as err:
        read_params(path)
    message = str(err.value)
    assert "\n" not in message and "python/object/apply:os.system" in message
    assert "(line 2, column 7)" in message
    assert not marker.exists()


def test_a_leading_zero_is_decimal_as_in_dvc_lock(tmp_path: Path) -> None:
    """PyYAML read ``epochs: 010`` as octal 8 while dvc.lock recorded 10."""
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  epochs: 010\n")
    assert load_section("train", TrainParams, path).epochs == 10
