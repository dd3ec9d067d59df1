"""train.bottleneck: one linear map shared by the regions of a feature group, laid out from the names."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.common.errors import PipelineError
from pipeline.features.params import ScatteringParams, TextonsParams
from pipeline.features.scattering import scattering_names
from pipeline.features.textons import textons_names
from pipeline.learning import checkpoint
from pipeline.learning.models import RegionProjection, build_model
from pipeline.learning.params import TrainParams
from pipeline.learning.regions import REGION, region_layout
from tests.helpers import one_line_error, run_stage
from tests.test_faults import write_stage_inputs

TEXTONS = list(textons_names(TextonsParams(k=4, grid=2, signs="both")))
SCATTERING = list(scattering_names(ScatteringParams(J=1, L=2, pool=2, color="gray")))


def test_each_row_of_a_layout_is_one_region_with_the_same_channels() -> None:
    matrices, rest = region_layout(["lbp_0", *TEXTONS, *SCATTERING])
    assert [matrix.shape for matrix in matrices] == [(4, 8), (4, len(SCATTERING) // 4)]
    assert rest.tolist() == [0]
    names = np.array(["lbp_0", *TEXTONS, *SCATTERING])
    for matrix in matrices:
        assert sorted(matrix.ravel().tolist()) == list(range(matrix.min(), matrix.max() + 1))
        regions = [{REGION.search(name).group() for name in row} for row in names[matrix]]
        assert all(len(region) == 1 for region in regions) and len(set.union(*regions)) == len(matrix)
        channels = [[REGION.sub("", name) for name in row] for row in names[matrix]]
        assert all(row == channels[0] for row in channels)


def test_groups_without_a_full_grid_of_regions_pass_through() -> None:
    assert region_layout([f"f{i}" for i in range(5)])[0] == []
    one_region = [name for name in TEXTONS if "_r0_c0_" in name]
    assert region_layout(one_region)[0] == []
    missing = TEXTONS[:-1]  # the last region lacks a channel
    matrices, rest = region_layout(missing)
    assert matrices == [] and rest.tolist() == list(range(len(missing)))
    assert region_layout([*TEXTONS, "texton_mean"])[0] == []  # a name of the group with no region


def test_one_map_is_shared_by_every_region() -> None:
    params = TrainParams(hidden=[8], bottleneck=3)
    network = build_model(["lbp_0", *TEXTONS], 10, params)
    projection = network[0]
    assert isinstance(projection, RegionProjection) and network[1].in_features == 4 * 3 + 1
    x = torch.randn(6, 1 + len(TEXTONS))
    (matrix,), _ = region_layout(["lbp_0", *TEXTONS])
    with torch.no_grad():
        out = projection(x)
        for region, columns in enumerate(matrix):
            expected = projection.maps[0](x[:, columns])
            torch.testing.assert_close(out[:, 3 * region : 3 * region + 3], expected)
        torch.testing.assert_close(out[:, -1], x[:, 0])
        swapped = x.clone()  # the first two regions' numbers swapped: their outputs swap
        swapped[:, matrix[0]], swapped[:, matrix[1]] = x[:, matrix[1]], x[:, matrix[0]]
        moved = projection(swapped)
        torch.testing.assert_close(moved[:, :3], out[:, 3:6])
        torch.testing.assert_close(moved[:, 3:6], out[:, :3])


def test_a_bottleneck_needs_regions_and_an_mlp() -> None:
    with pytest.raises(PipelineError, match=r"^train.bottleneck: these features have no regions .*: 0$"):
        build_model([f"f{i}" for i in range(9)], 10, TrainParams(bottleneck=16))
    with pytest.raises(ValueError, match=r"train\.bottleneck needs train\.model: mlp"):
        TrainParams(model="perceptron", bottleneck=16)
    with pytest.raises(ValueError, match="at most 4,096 numbers per region"):
        TrainParams(bottleneck=5000)


def test_a_model_file_with_a_bottleneck_round_trips(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)
    names = ["lbp_0", *(f"texton_pos_r{r}_c{c}_k{k}" for r in range(2) for c in range(2) for k in range(2))]
    (tmp_path / "data/features/names.json").write_text(json.dumps(names))
    views = [["texton", "lbp"], ["texton"]]
    train = {"epochs": 2, "device": "cpu", "bottleneck": 4, "hidden": [8], "views": views}
    result = run_stage("train", tmp_path, {"train": train})
    assert result.returncode == 0, result.stderr
    saved = checkpoint.load(tmp_path / "models/model.pt", 10)
    assert [member[1].in_features for member in saved.model.members] == [4 * 4 + 1, 4 * 4]
    payload = torch.load(tmp_path / "models/model.pt", weights_only=True)
    assert payload["state_dict"]["members.0.0.maps.0.weight"].shape == (4, 2)
    assert not any("regions" in key or "rest" in key for key in payload["state_dict"])
    x = torch.randn(5, 9)
    with torch.no_grad():
        trained = torch.load(tmp_path / "models/model.pt", weights_only=True)["state_dict"]
        rebuilt = build_model(names, 10, saved.params)
        rebuilt.load_state_dict(trained)
        torch.testing.assert_close(saved.model(x), rebuilt.eval()(x))
    payload["feature_names"] = [f"f{i}" for i in range(9)]  # the features of another set
    torch.save(payload, tmp_path / "other.pt")
    with pytest.raises(PipelineError, match=r"other.pt is not a model file .*\(train.views: "):
        checkpoint.load(tmp_path / "other.pt", 10)
    payload["feature_names"] = names
    payload["train_params"]["views"] = []  # one network, where the file holds two
    torch.save(payload, tmp_path / "reversed.pt")
    with pytest.raises(PipelineError, match=r"reversed.pt is not a model file .*region map to 4"):
        checkpoint.load(tmp_path / "reversed.pt", 10)


def test_the_train_stage_refuses_a_bottleneck_on_features_without_regions(tmp_path: Path) -> None:
    write_stage_inputs(tmp_path)  # names f0 … f8
    error = one_line_error(run_stage("train", tmp_path, {"train": {"device": "cpu", "bottleneck": 8}}))
    assert error.startswith("error: train.bottleneck: these features have no regions")
    assert not (tmp_path / "models").exists() and not (tmp_path / "dvclive").exists()
