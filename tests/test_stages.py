"""Stage entry points: declared dependencies match the code they run; errors are one line."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import one_line_error, run_stage

REPO = Path(__file__).resolve().parents[1]
DVC_YAML = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def imported_files(stage: str) -> set[str]:
    """Project files that `python -m stages.<stage>` imports (package __init__ files aside)."""
    code = (
        f"import sys, stages.{stage}\n"
        "for m in sys.modules.values():\n"
        "    f = getattr(m, '__file__', None) or ''\n"
        "    if f.startswith(sys.argv[1]) and not f.endswith('__init__.py'): print(f[len(sys.argv[1]):])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, f"{REPO}/"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return {f for f in out.stdout.split() if f.startswith(("pipeline/", "stages/"))}


@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_each_stage_declares_exactly_the_code_it_runs(stage: str) -> None:
    declared = {d for d in DVC_YAML[stage]["deps"] if d.startswith(("pipeline", "stages"))}
    packages = {d for d in declared if (REPO / d).is_dir()}
    imported = {f for f in imported_files(stage) if not any(f.startswith(p + "/") for p in packages)}
    assert declared - packages == imported
    for package in packages:  # a package dependency must really be used
        assert any(f.startswith(package + "/") for f in imported_files(stage))


@pytest.mark.parametrize("stage", sorted(DVC_YAML))
def test_bad_params_stop_every_stage_with_one_line(tmp_path: Path, stage: str) -> None:
    result = run_stage(stage, tmp_path, {"train": {"modle": "mlp"}})
    if stage in ("labels", "evaluate"):  # read no params: they fail on their missing inputs instead
        assert result.returncode != 0
        return
    assert one_line_error(result) == (
        "error: params.yaml: unknown key 'train.modle' (check its spelling against README's parameter table)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
