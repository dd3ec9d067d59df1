"""Views: the networks of an ensemble on column subsets named by feature group."""

import json
from pathlib import Path

import pytest
import torch

from pipeline.common.errors import PipelineError
from pipeline.learning import checkpoint
from pipeline.learning.models import Ensemble
from pipeline.learning.params import TrainParams
from pipeline.learning.training import fit
from pipeline.learning.views import feature_group, view_columns
from tests.helpers import run_stage
from tests.test_faults import write_stage_inputs
from tests.test_training import blobs

NAMES = ["texton_pos_r0_c0_k0", "texton_pos_r0_c0_k1", "scat_y_o0_p0_0", "scat_u_o0_p0_0"]


def test_a_group_is_the_first_word_of_a_feature_name() -> None:
    assert [feature_group(name) for name in NAMES] == ["texton", "texton", "scat", "scat"]
    assert view_columns(NAMES, []) is None
    views = view_columns(NAMES, [["texton", "scat"], ["scat"], ["texton"]])
    assert [view.tolist() for view in views] == [[0, 1, 2, 3], [2, 3], [0, 1]]


def test_a_group_the_features_lack_is_one_line() -> None:
    with pytest.raises(
        PipelineError, match=r"^train.views: these features have no group 'lbp'; .* scat, texton$"
    ):
        view_columns(NAMES, [["texton"], ["lbp"]])


def test_each_network_reads_only_its_view() -> None:
    params = TrainParams(hidden=[16], lr=0.03, epochs=10, views=[["texton", "scat"], ["texton"], ["scat"]])
    views = view_columns(NAMES, params.views)
    test = blobs(300, 2)
    fitted = fit(params, blobs(600, 0), blobs(200, 1), test=test, num_classes=3, names=NAMES)
    model = fitted.model
    assert isinstance(model, Ensemble)
    assert [member[0].in_features for member in model.members] == [4, 2, 2]
    with torch.no_grad():
        alone = [torch.softmax(m(test.x[:, v]), 1) for m, v in zip(model.members, views, strict=True)]
        torch.testing.assert_close(torch.softmax(model(test.x), 1), torch.stack(alone).mean(0))
        changed = test.x.clone()
        changed[:, 2:] += 5.0  # only the scat columns
        assert torch.equal(model.members[1](changed[:, views[1]]), model.members[1](test.x[:, views[1]]))
    assert fitted.history[fitted.kept_epoch - 1]["test_accuracy"] > 0.9


def test_a_model_file_with_views_round_trips(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    names = ["a_0", "a_1", "a_2", "b_0", "b_1", "b_2", "b_3", "c_0", "c_1"]
    (tmp_path / "data/features/names.json").write_text(json.dumps(names))
    views = [["a", "b", "c"], ["a"], ["b", "c"]]
    params = {"train": {"epochs": 2, "device": "cpu", "views": views, "ensemble": 2, "hidden": [8]}}
    result = run_stage("train", tmp_path, params)
    assert result.returncode == 0, result.stderr
    saved = checkpoint.load(tmp_path / "models/model.pt", 10)
    assert [member[0].in_features for member in saved.model.members] == [9, 9, 3, 3, 6, 6]
    x = torch.randn(5, 9)
    columns = [list(range(9))] * 2 + [[0, 1, 2]] * 2 + [list(range(3, 9))] * 2
    with torch.no_grad():
        alone = [torch.softmax(m(x[:, c]), 1) for m, c in zip(saved.model.members, columns, strict=True)]
        torch.testing.assert_close(torch.softmax(saved.predictor(x), 1), torch.stack(alone).mean(0))
    payload = torch.load(tmp_path / "models/model.pt", weights_only=True)
    assert payload["train_params"]["views"] == views and not any(
        "view" in key for key in payload["state_dict"]
    )
    payload["feature_names"] = [f"f{i}" for i in range(9)]  # the features of another set
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(
        PipelineError, match=r"other.pt is not a model file this pipeline wrote \(train.views: "
    ):
        checkpoint.load(tmp_path / "other.pt", 10)


def test_views_name_groups_in_lower_case_words() -> None:
    with pytest.raises(ValueError, match="String should match pattern"):
        TrainParams(views=[["texton; rm -rf /"]])
    with pytest.raises(ValueError, match="at least 1 item"):
        TrainParams(views=[[]])
