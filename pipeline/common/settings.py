"""Read one section of params.yaml into a validated, frozen model, or fail with one line.

Each package owns the schema of its section (``pipeline.features.params``,
``pipeline.learning.params``), so a stage imports only the schema it reads and a new training knob
does not touch the features stage. Unknown keys (``train.modle``), wrong types and out-of-range
values name the key and what is allowed.
"""

import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.common.errors import PipelineError

PARAMS_FILE = Path("params.yaml")
Device = Annotated[str, Field(pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")]
S = TypeVar("S", bound=BaseModel)


class Section(BaseModel):
    """A params section: unknown keys are errors, values are checked strictly and never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Loader(yaml.SafeLoader):
    """PyYAML reads ``1e-3`` as a string (YAML 1.1 wants ``1.0e-3``); DVC reads it as a number.
    This loader reads floats as YAML 1.2 (and DVC) do."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """The raw mapping in ``path``; an unreadable file is a one-line :class:`PipelineError`."""
    try:
        raw = yaml.load(path.read_text(), Loader=_Loader) or {}
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"cannot read {path}: {err}".splitlines()[0]) from err
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
