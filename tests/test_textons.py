"""The textons feature set: shapes and names, a deterministic dictionary fitted on the images given,
the batched PyTorch encoding against the per-image NumPy reference, the state's round trip."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import pipeline
from pipeline.common.errors import PipelineError
from pipeline.features import Recipe, extract
from pipeline.features.params import FeatureParams, TextonsParams
from pipeline.features.textons import (
    Dictionary,
    fit_dictionary,
    textons_features,
    textons_mirror,
    textons_reference,
)
from pipeline.learning import checkpoint
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.training import Split, fit
from tests.helpers import photo_crops

SMALL = {"k": 12, "fit_patches": 3000, "iterations": 4, "signs": "both"}  # fast: the defaults fit 1,440


def textons(**settings: object) -> Recipe:
    return Recipe("textons", TextonsParams.model_validate({**SMALL, **settings}))


@pytest.fixture(scope="module")
def fitted() -> Recipe:
    return textons().fitted(photo_crops(48))


def test_shapes_and_names_follow_k_grid_and_signs(fitted: Recipe) -> None:
    features = extract(photo_crops(5, seed=1), fitted)
    names = fitted.names()
    assert features.dtype == np.float16 and features.shape == (5, 2 * 9 * 12) == (5, len(names))
    assert len(set(names)) == len(names)
    assert names[:2] == ("texton_pos_r0_c0_k0", "texton_pos_r0_c0_k1") and names[-1] == "texton_neg_r2_c2_k11"
    assert (features >= 0).all() and features.any(1).all()
    one_sign = textons(signs="positive", grid=2)
    assert len(one_sign.names()) == 4 * 12


def test_fit_is_deterministic_and_depends_on_seed_and_images() -> None:
    images = photo_crops(48)
    first, second = fit_dictionary(images, textons().settings), fit_dictionary(images, textons().settings)
    for name in ("mean", "whitening", "centroids"):
        assert getattr(first, name).tobytes() == getattr(second, name).tobytes()
    assert first.centroids.shape == (12, 3 * 36) and first.centroids.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first.centroids, axis=1), 1, rtol=1e-5)
    assert first != fit_dictionary(images, textons(seed=1).settings)
    assert first != fit_dictionary(photo_crops(48, seed=2), textons().settings)


def test_whitening_decorrelates_the_normalised_patches_and_their_mirrors() -> None:
    state = fit_dictionary(photo_crops(48), textons(fit_patches=20000, whiten_eps=1e-6).settings)
    images = photo_crops(48)
    patches = np.lib.stride_tricks.sliding_window_view(images, (6, 6), axis=(1, 2)).reshape(-1, 108) * 1.0
    patches = np.concatenate([patches, patches[:, np.arange(108).reshape(3, 6, 6)[:, :, ::-1].ravel()]])
    patches -= patches.mean(1, keepdims=True)
    patches /= np.sqrt((patches**2).mean(1, keepdims=True) + 10)
    white = (patches - state.mean) @ state.whitening
    covariance = white.T @ white / len(white)
    # whitened on a random sample, measured on all patches: close to the identity, off-diagonal small
    assert np.abs(np.diag(covariance)[:-1] - 1).max() < 0.25  # the last eigenvalue is ~0 (mean removed)
    assert np.abs(covariance - np.diag(np.diag(covariance))).max() < 0.1


@pytest.mark.parametrize(
    "settings",
    [{}, {"patch": 4, "stride": 2, "grid": 3}, {"signs": "positive", "alpha": 0.0, "grid": 1}, {"patch": 8}],
)
def test_batched_matches_the_numpy_reference_on_photographs(settings: dict) -> None:
    recipe = textons(**settings).fitted(photo_crops(48))
    images = photo_crops(24, seed=3)
    reference = np.stack([textons_reference(image, recipe.state) for image in images])
    batched = textons_features(torch.from_numpy(images), recipe.state).numpy()
    np.testing.assert_allclose(batched, reference, rtol=1e-4, atol=1e-4)
    # stored as float16: the same numbers rounded, whatever the chunks
    stored = extract(images, recipe, chunk_size=7)
    np.testing.assert_allclose(stored, reference, rtol=1e-3, atol=1e-3)
    assert np.array_equal(extract(images, recipe, implementation="reference"), reference.astype(np.float16))


@pytest.mark.parametrize(
    "settings", [{}, {"grid": 3}, {"patch": 4, "stride": 2, "grid": 4}, {"signs": "positive"}]
)
def test_a_mirrored_image_has_the_features_of_the_image_permuted(settings: dict) -> None:
    recipe = textons(**settings).fitted(photo_crops(48))
    images = photo_crops(6, seed=3)
    features, mirrored = (
        textons_features(torch.from_numpy(np.ascontiguousarray(x)), recipe.state).numpy()
        for x in (images, images[:, :, ::-1])
    )
    mirror = textons_mirror(recipe.settings)
    assert sorted(mirror) == list(range(features.shape[1])) and (mirror != np.arange(len(mirror))).all()
    assert np.abs(mirrored - features).max() > 0.1  # the mirror is another image ...
    np.testing.assert_allclose(mirrored, features[:, mirror], atol=2e-6)  # ... with the same textons
    names = recipe.names()
    assert names[mirror[0]] == f"texton_pos_r0_c{recipe.settings.grid - 1}_k6"  # k 12: k0's mirror is k6


def test_the_dictionary_is_its_own_mirror_image(fitted: Recipe) -> None:
    state: Dictionary = fitted.state
    flip = np.arange(108).reshape(3, 6, 6)[:, :, ::-1].ravel()
    np.testing.assert_array_equal(state.centroids[6:], state.centroids[:6, flip])
    np.testing.assert_allclose(state.whitening[np.ix_(flip, flip)], state.whitening, atol=1e-6)
    np.testing.assert_allclose(state.mean[flip], state.mean, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_the_cpu(fitted: Recipe) -> None:
    images = photo_crops(24, seed=3)
    on_cuda = textons_features(torch.from_numpy(images).cuda(), fitted.state).cpu().numpy()
    np.testing.assert_allclose(
        on_cuda, textons_features(torch.from_numpy(images), fitted.state), rtol=1e-4, atol=1e-4
    )


def test_state_round_trips_through_json_exactly(fitted: Recipe) -> None:
    restored = Recipe.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert restored == fitted and restored.state.centroids.tobytes() == fitted.state.centroids.tobytes()
    images = photo_crops(4, seed=5)
    assert extract(images, restored).tobytes() == extract(images, fitted).tobytes()


def test_an_unfitted_recipe_cannot_extract() -> None:
    recipe = Recipe.default("textons")
    assert recipe.needs_fit and len(recipe.names()) == 9 * 1440
    with pytest.raises(ValueError, match="is learned: extract with recipe"):
        extract(photo_crops(2), recipe)
    assert Recipe.default("lecture").fitted(photo_crops(2)) == Recipe.default("lecture")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("mean"), "exactly the keys"),
        (lambda s: s["centroids"].pop(), "expected 1296 numbers"),
        (lambda s: s.update(whitening="x" * 11664), "expected 11664 numbers"),
        (lambda s: s["mean"].__setitem__(0, "1"), "other than numbers"),
        (lambda s: s["mean"].__setitem__(0, float("nan")), "non-finite"),
        (lambda s: s["centroids"].__setitem__(0, 0.5), "not the mirror of the first"),  # an older dictionary
    ],
)
def test_a_malformed_state_is_one_clear_error(fitted: Recipe, change: object, message: str) -> None:
    data = json.loads(json.dumps(fitted.to_dict()))
    change(data["state"])  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        Recipe.from_dict(data)


def test_a_state_for_a_set_that_learns_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="learns nothing"):
        Recipe.from_dict({"set": "lecture", "state": {}})


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="at least k"):
        TextonsParams(k=500, fit_patches=100)
    with pytest.raises(ValueError, match="grid 8 has more regions"):
        fit_dictionary(photo_crops(4), textons(patch=16, stride=8, grid=8).settings)
    with pytest.raises(ValueError, match="must be even"):
        TextonsParams(k=801)
    with pytest.raises(ValueError, match="stride 2 must divide 32 − patch 5"):
        fit_dictionary(photo_crops(4), textons(patch=5, stride=2).settings)
    assert FeatureParams.model_validate({"set": "textons"}).settings == TextonsParams()


def test_encoding_refuses_non_images(fitted: Recipe) -> None:
    state: Dictionary = fitted.state
    with pytest.raises(ValueError, match="expected uint8"):
        textons_features(torch.zeros(1, 32, 32, 3), state)


@pytest.fixture(scope="module")
def model_file(fitted: Recipe, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model on textons of photo crops, saved as the train stage does (recipe with its state)."""
    images = photo_crops(40)
    x = extract(images, fitted)
    params = TrainParams(epochs=3, val_fraction=0.0, hidden=[8], normalize="zscore")
    scaler = Scaler.fit(params.normalize, x)
    train = Split(torch.from_numpy(scaler.transform(x)), torch.from_numpy(np.arange(40) % 10))
    model = fit(params, train, num_classes=10).model
    path = tmp_path_factory.mktemp("model") / "model.pt"
    saved = checkpoint.Checkpoint(
        model, scaler, params, list(fitted.names()), json.loads(json.dumps(fitted.to_dict()))
    )
    checkpoint.save(path, saved)
    return path


def test_predict_on_a_new_image_uses_the_dictionary_in_the_model_file(
    fitted: Recipe, model_file: Path
) -> None:
    model = pipeline.load_model(model_file)
    assert model.recipe == fitted
    image = photo_crops(3, seed=9)[2]  # not among the images the dictionary or the model saw
    saved = checkpoint.load(model_file, 10)
    x = torch.from_numpy(saved.scaler.transform(extract(image[None], fitted)))
    np.testing.assert_allclose(
        model.predict_proba(image), torch.softmax(saved.model(x), 1).detach().numpy(), rtol=1e-5
    )
    assert model.predict(image)[0] in model.classes


def test_a_model_file_without_the_dictionary_is_refused(model_file: Path, tmp_path: Path) -> None:
    payload = torch.load(model_file, weights_only=True)
    del payload["recipe"]["state"]
    torch.save(payload, tmp_path / "model.pt")
    with pytest.raises(PipelineError, match="lacks the fitted state"):
        pipeline.load_model(tmp_path / "model.pt")
