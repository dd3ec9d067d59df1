"""The combined feature set: each part's columns side by side, the parts' states carried together,
the mirror permutation where every part has one, and the settings it accepts."""

import json

import numpy as np
import pytest
from pydantic import ValidationError

from pipeline.features import Recipe, extract
from pipeline.features.params import FeatureParams
from tests.helpers import photo_crops

TEXTONS = {"k": 12, "fit_patches": 3000, "iterations": 3}
SCATTERING = {"J": 2, "L": 4, "pool": 2, "symmetric": True}


def combined(sets: list[str] | None = None, **scattering: object) -> Recipe:
    sections = {
        "combined": {"sets": sets or ["textons", "scattering"]},
        "textons": TEXTONS,
        "scattering": {**SCATTERING, **scattering},
    }
    return Recipe.from_params(FeatureParams.model_validate({"set": "combined", **sections}))


@pytest.fixture(scope="module")
def fitted() -> Recipe:
    return combined().fitted(photo_crops(48))


def part(name: str, fitted: Recipe) -> Recipe:
    """The recipe of one part, with the state the combination fitted for it."""
    recipe = Recipe.from_dict({"set": name, "settings": getattr(fitted.settings, name).model_dump()})
    return recipe.fitted(photo_crops(48))


def test_columns_are_the_parts_side_by_side_in_order(fitted: Recipe) -> None:
    images = photo_crops(5, seed=2)
    textons, scattering = part("textons", fitted), part("scattering", fitted)
    features = extract(images, fitted)
    assert features.dtype == np.float16
    assert fitted.names() == textons.names() + scattering.names()
    expected = np.concatenate([extract(images, textons), extract(images, scattering)], axis=1)
    np.testing.assert_array_equal(features, expected.astype(np.float16))
    reversed_order = combined(["scattering", "textons"]).fitted(photo_crops(48))
    assert reversed_order.names() == scattering.names() + textons.names()


def test_state_round_trips_through_json_exactly(fitted: Recipe) -> None:
    data = json.loads(json.dumps(fitted.to_dict()))
    assert data["state"][1] is None  # scattering learns nothing
    restored = Recipe.from_dict(data)
    assert restored == fitted and not restored.needs_fit
    images = photo_crops(4, seed=5)
    assert extract(images, restored).tobytes() == extract(images, fitted).tobytes()


def test_a_mirrored_image_has_the_features_of_the_image_permuted(fitted: Recipe) -> None:
    images = photo_crops(6, seed=3)
    features, mirrored = (extract(np.ascontiguousarray(x), fitted) for x in (images, images[:, :, ::-1]))
    mirror = fitted.feature_set.mirror(fitted.settings)
    assert sorted(mirror) == list(range(features.shape[1]))
    np.testing.assert_allclose(mirrored, features[:, mirror], rtol=1e-3, atol=1e-4)  # float16: one step
    assert combined(symmetric=False).feature_set.mirror(combined(symmetric=False).settings) is None


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"combined": {"sets": ["textons"]}}, "two or more different sets"),
        ({"combined": {"sets": ["textons", "textons"]}}, "two or more different sets"),
        ({"combined": {"sets": ["textons", "lecture"]}}, "'scattering' or 'textons'"),
        ({"implementation": "reference"}, "no reference implementation"),
    ],
)
def test_bad_settings_are_one_clear_error(sections: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeatureParams.model_validate({"set": "combined", **sections})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["state"].pop(), "a list of 2 part states"),
        (lambda d: d["state"].__setitem__(1, d["state"][0]), "exactly for each part that learns one"),
        (lambda d: d["state"][0]["mean"].pop(), "expected 108 numbers"),
        (lambda d: d["settings"].pop("textons"), "exactly its sets"),
    ],
)
def test_a_malformed_recipe_is_one_clear_error(fitted: Recipe, change: object, message: str) -> None:
    data = json.loads(json.dumps(fitted.to_dict()))
    change(data)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        Recipe.from_dict(data)
