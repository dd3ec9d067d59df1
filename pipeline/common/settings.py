"""Read one section of params.yaml into a validated, frozen model, or fail with one line.

Each package owns the schema of its section (``pipeline.features.params``,
``pipeline.learning.params``), so a stage imports only the schema it reads and a new training knob
does not touch the features stage. Unknown keys (``train.modle``), wrong types and out-of-range
values name the key and what is allowed.
"""

from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML, YAMLError

from pipeline.common.errors import PipelineError

PARAMS_FILE = Path("params.yaml")
Device = Annotated[str, Field(pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")]
S = TypeVar("S", bound=BaseModel)


class Section(BaseModel):
    """A params section: unknown keys are errors, values are checked strictly and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def parse_yaml(text: str, source: Path | str) -> Any:
    """``text`` read exactly as DVC reads params.yaml (``dvc.utils.serialize.parse_yaml``:
    ruamel.yaml's ``YAML(typ="safe")``, YAML 1.2, its C parser only where installed), so that a
    stage trains on the values `dvc params diff` and dvc.lock record (``010`` is 10, ``on`` a
    string). Tags that would build objects are refused; any problem is one line naming the spot."""
    try:
        return YAML(typ="safe").load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = str(getattr(err, "problem", None) or err).partition("\n")[0]
        fix = "fix the YAML there (plain values, no tags)"
        raise PipelineError(f"cannot read {source}: {problem}{where}; {fix}") from err


def read_yaml(path: Path) -> Any:
    """The contents of ``path`` as :func:`parse_yaml` reads them; an unreadable file is one line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise PipelineError(f"cannot read {path}: {err}".splitlines()[0]) from err
    return parse_yaml(text, path)


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """The raw mapping in ``path``; an unreadable file is a one-line :class:`PipelineError`."""
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise PipelineError(f"{path} must be a mapping of sections (data, features, train)")
    return raw


def validate(model: type[S], raw: Any, prefix: str = "", path: Path = PARAMS_FILE) -> S:
    """``model`` validated from ``raw``; the first problem becomes one line naming ``prefix.key``."""
    try:
        return model.model_validate({} if raw is None else raw)
    except ValidationError as err:
        raise PipelineError(f"{path}: {_describe(err.errors()[0], prefix)}") from err


def load_section(name: str, model: type[S], path: Path = PARAMS_FILE) -> S:
    """Section ``name`` of ``path`` (its defaults where absent), validated by ``model``."""
    return validate(model, read_params(path).get(name), name, path)


def _describe(error: dict, prefix: str) -> str:
    key = ".".join([prefix] * bool(prefix) + [str(part) for part in error["loc"]]) or "params"
    if error["type"] == "extra_forbidden":
        return f"unknown key {key!r} (check its spelling against README's parameter table)"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"
