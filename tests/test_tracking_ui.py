"""Experiment tracking as users see it: DVCLive's files, the plots dashboard, the experiments
table, params.yaml under `dvc exp run -S`, and what the stages print."""

import json
import re
from pathlib import Path

import pytest

from tests.dvc_project import REPO, commit, dvc, run, stages_run
from tests.helpers import run_stage
from tests.test_faults import write_stage_inputs

PLOTS = {
    "Loss",
    "Accuracy",
    "Confusion",
    "Per-class accuracy",
    "reports/figures/loss.png",
    "reports/figures/accuracy.png",
    "reports/figures/confusion.png",
    "dvclive/evaluate/plots/images/misclassified.png",
}


def test_train_logs_every_epoch_to_dvclive_and_ends_on_one_line(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    result = run_stage("train", tmp_path, {"train": {"epochs": 3, "device": "cpu"}})
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"best epoch [1-3], validation accuracy \d\.\d{4}", result.stdout.strip())
    assert "epoch/s" not in result.stderr  # no progress bar when stderr is not a terminal
    live = tmp_path / "dvclive/train"
    for name in ("train/loss", "val/accuracy", "test/loss", "lr"):
        steps = (live / f"plots/metrics/{name}.tsv").read_text().splitlines()
        assert [row.split("\t")[0] for row in steps] == ["step", "1", "2", "3"]
    summary = json.loads((live / "metrics.json").read_text())
    assert set(summary) == {"epochs_run", "best_epoch", "best"} and summary["epochs_run"] == 3
    assert set(summary["best"]) == {"val_accuracy", "train_accuracy"}


@pytest.mark.slow
def test_plots_show_lists_each_plot_once_with_axis_titles(first_run_project: Path) -> None:
    shown = json.loads(dvc(first_run_project, "plots", "show", "--json").stdout)["data"]
    assert set(shown) == PLOTS and len(shown) == len(PLOTS)
    for name, y_title in (("Loss", "loss"), ("Accuracy", "accuracy")):
        encoding = shown[name][0]["content"]["encoding"]
        assert (encoding["x"]["title"], encoding["y"]["title"]) == ("epoch", y_title)
        assert f"kept_epoch.csv::{y_title}" in encoding["strokeDash"]["scale"]["domain"]  # the kept epoch
    confusion = shown["Confusion"][0]["content"]["spec"]["encoding"]
    assert (confusion["x"]["field"], confusion["y"]["field"]) == ("predicted", "actual")


@pytest.mark.slow
def test_evaluate_ends_on_one_line(first_run_project: Path) -> None:
    out = dvc(first_run_project, "repro", "-f", "-s", "evaluate").stdout
    assert re.search(r"^test accuracy \d\.\d{4}, loss \d+\.\d{4}$", out, re.MULTILINE)
    metrics = json.loads((first_run_project / "dvclive/evaluate/metrics.json").read_text())
    assert set(metrics) == {"test"} and 0 <= metrics["test"]["accuracy"] <= 1


@pytest.mark.slow
def test_set_param_changes_exactly_one_line_of_the_committed_params(first_run_project: Path) -> None:
    """`dvc exp run -S` rewrites params.yaml: flow-style lists come back in block style, so the
    committed file writes its lists in block style already (flow-style maps survive)."""
    project = first_run_project
    ran = (project / "params.yaml").read_text()  # the first run's url, md5 and epochs
    committed = (REPO / "params.yaml").read_text()
    for key in ("url", "md5", "epochs"):
        value = re.search(rf"^  {key}: (\S+)", ran, re.MULTILINE).group(1)
        committed = re.sub(rf"^(  {key}: )\S+", rf"\g<1>{value}", committed, count=1, flags=re.MULTILINE)
    (project / "params.yaml").write_text(committed)
    commit(project, "the committed params.yaml")
    assert stages_run(dvc(project, "exp", "run", "-S", "train.lr=0.01")) == {
        "check_params",
        "train",
        "evaluate",
    }
    assert run(project, "git", "diff", "--numstat", "params.yaml").stdout.split() == ["1", "1", "params.yaml"]
