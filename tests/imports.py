"""Which project files a stage runs: its module and every ``pipeline`` module it imports, anywhere in
a file (a function's lazy import counts) and through the packages' lazy ``_API`` maps, transitively.
Read from the source, so nothing is imported or run."""

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _module_file(name: str) -> Path | None:
    path = REPO / Path(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _lazy_api(package: Path) -> dict[str, str]:
    """A package's ``_API = {name: module}``: the names its ``__getattr__`` imports on first use."""
    for node in ast.parse(package.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_API" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _imported_names(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            package = _module_file(node.module)
            api = _lazy_api(package) if package and package.name == "__init__.py" else {}
            yield from (api.get(alias.name, f"{node.module}.{alias.name}") for alias in node.names)


def stage_files(stage: str) -> set[str]:
    """Repository-relative paths of ``stages/<stage>.py`` and every project module it imports
    (each package's ``__init__.py`` included, ``stages/__init__.py`` too: Python runs it first)."""
    todo, seen = [REPO / "stages" / "__init__.py", REPO / "stages" / f"{stage}.py"], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_names(path):
            parts = name.split(".")
            if parts[0] == "pipeline":
                todo += [f for i in range(len(parts)) if (f := _module_file(".".join(parts[: i + 1])))]
    return {str(path.relative_to(REPO)) for path in seen}


def declared_files(deps: list[str]) -> set[str]:
    """The ``.py`` files of a stage's code dependencies, folders expanded."""
    files = set()
    for dep in deps:
        path = REPO / dep
        if dep.startswith(("pipeline", "stages")):
            found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            files |= {str(f.relative_to(REPO)) for f in found}
    return files
