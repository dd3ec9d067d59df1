"""The fast batched features against the scikit-image reference, on real photographs; both compute
paths (compiled CPU loops and whole-tensor PyTorch) against each other."""

import time
from typing import get_args

import numpy as np
import pytest
import torch
from skimage.filters import gabor

from pipeline.features import FEATURE_SETS, Recipe, extract, reference
from pipeline.features.extended import GROUPS
from pipeline.features.gabor import gabor_response
from pipeline.features.kernels import (
    COMPILED,
    TENSOR,
    Kernels,
    compiled,
    kernels_for,
    lbp_offsets,
)
from pipeline.features.lecture import NAMES
from pipeline.features.params import ExtendedGroup, ExtendedParams, FeatureSetName, LectureParams
from pipeline.features.registry import FeatureSet
from pipeline.features.texture import glcm_offset, histogram_energy_entropy
from tests.helpers import photo_crops


def lecture(**settings: object) -> Recipe:
    return Recipe("lecture", LectureParams.model_validate(settings))


def extended(**settings: object) -> Recipe:
    return Recipe("extended", ExtendedParams.model_validate(settings))


def edge_cases() -> np.ndarray:
    """Flat, saturated, striped and noisy images: the places where rounding and ties bite."""
    rng = np.random.default_rng(1)
    flat = [np.full((32, 32, 3), v, np.uint8) for v in (0, 1, 128, 255)]
    stripes = np.zeros((32, 32, 3), np.uint8)
    stripes[:, ::2] = 255
    step = np.zeros((32, 32, 3), np.uint8)
    step[16:] = 200
    noise = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    return np.concatenate([np.stack([*flat, stripes, step]), noise])


def assert_parity(images: np.ndarray, recipe: Recipe, kernels: Kernels) -> None:
    fast = extract(images, recipe, kernels=kernels)
    slow = extract(images, recipe, implementation="reference")
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_lecture_features_match_scikit_image_on_photographs(kernels: Kernels) -> None:
    assert_parity(photo_crops(64), lecture(), kernels)


def test_lecture_features_match_scikit_image_on_edge_cases(kernels: Kernels) -> None:
    assert_parity(edge_cases(), lecture(), kernels)


@pytest.mark.parametrize(
    "settings",
    [
        {"lbp": {"points": 8, "radius": 1.0}},
        {"lbp": {"points": 16, "radius": 2.5}, "bins": 16},
        {"lbp": {"points": 4, "radius": 1.0}},  # integer offsets at 270°: the last padded row
        {"lbp": {"points": 32, "radius": 8.0}, "glcm": {"distance": 16, "angle": 45.0}},  # params limits
        {"glcm": {"distance": 1, "angle": 90.0}},
        {"glcm": {"distance": 3, "angle": 135.0}},
        {"gabor": {"frequency": 0.2}, "bins": 5},
    ],
)
def test_other_settings_match_scikit_image(settings: dict, kernels: Kernels) -> None:
    assert_parity(photo_crops(16), lecture(**settings), kernels)


def test_grayscale_is_pils_convert_l(kernels: Kernels) -> None:
    rng = np.random.default_rng(2)
    images = np.concatenate([photo_crops(16), rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)])
    expected = np.stack([reference.grayscale(im) for im in images])
    np.testing.assert_array_equal(kernels.grayscale(torch.from_numpy(images)).numpy(), expected)


@pytest.mark.parametrize("frequency", [0.05, 0.1, 0.25, 0.6])
def test_gabor_as_matrix_products_is_scikit_images_gabor(frequency: float) -> None:
    """Including kernels wider than the image (f = 0.05: 69 taps on 32 pixels), where the
    reflect padding folds back more than once."""
    images = photo_crops(3)[:, :32, :24, 0] / 255.0  # not square: rows and columns differ
    for angle in [0.0, 30.0, 45.0, 90.0, 135.0]:
        real, imag = gabor_response(torch.from_numpy(images), frequency, angle)
        for n, image in enumerate(images):
            expected_real, expected_imag = gabor(image, frequency, theta=np.deg2rad(angle))
            np.testing.assert_allclose(real[n].numpy(), expected_real, rtol=0, atol=1e-12)
            np.testing.assert_allclose(imag[n].numpy(), expected_imag, rtol=0, atol=1e-12)


def gray_test_images() -> torch.Tensor:
    return COMPILED.grayscale(torch.from_numpy(np.concatenate([photo_crops(16), edge_cases()])))


@pytest.mark.parametrize(("points", "radius"), [(5, 2.0), (8, 1.0), (16, 2.5), (4, 1.0), (32, 8.0)])
def test_both_paths_count_the_same_lbp_codes(points: int, radius: float) -> None:
    gray = gray_test_images()
    compiled_counts = COMPILED.lbp_counts(gray, points, radius)
    assert compiled_counts.dtype == torch.int64
    torch.testing.assert_close(compiled_counts, TENSOR.lbp_counts(gray, points, radius), rtol=0, atol=0)


@pytest.mark.parametrize(("dy", "dx"), [(0, 2), (1, 0), (2, -2), (3, 3), (0, 31)])
def test_both_paths_give_the_same_glcm_statistics(dy: int, dx: int) -> None:
    gray = gray_test_images()
    pairs = zip(
        COMPILED.glcm_pair_statistics(gray, dy, dx), TENSOR.glcm_pair_statistics(gray, dy, dx), strict=True
    )
    for compiled_stats, tensor_stats in pairs:
        torch.testing.assert_close(compiled_stats, tensor_stats, rtol=0, atol=0)


@pytest.mark.parametrize("frequency", [0.1, 0.6])
def test_both_paths_count_the_same_gabor_energies(frequency: float) -> None:
    real, imag = gabor_response(gray_test_images().to(torch.float64), frequency)
    compiled_counts = COMPILED.wrapped_energy_counts(real, imag)
    torch.testing.assert_close(compiled_counts, TENSOR.wrapped_energy_counts(real, imag), rtol=0, atol=0)


@pytest.mark.parametrize("bins", [1, 5, 8, 16])
def test_histogram_energy_entropy_is_np_histograms(bins: int) -> None:
    """Random value spreads, incl. a single value, two values and gaps, against np.histogram."""
    rng = np.random.default_rng(bins)
    images = [rng.integers(low, high + 1, 300) for low, high in [(0, 255), (7, 7), (3, 4), (10, 200), (0, 6)]]
    images.append(np.array([0, 255, 255, 17]))
    counts = torch.stack([torch.bincount(torch.from_numpy(v), minlength=256) for v in images])
    fast = histogram_energy_entropy(counts, bins).numpy()
    np.testing.assert_allclose(fast, [reference.energy_entropy(v, bins) for v in images], rtol=1e-12)


# A learned set (textons) has no per-pixel kernels: its encoding is the same matrix products on any device.
@pytest.mark.parametrize("feature_set", sorted(n for n, s in FEATURE_SETS.items() if s.fit is None))
def test_both_paths_give_identical_feature_arrays(feature_set: str) -> None:
    """CUDA and MPS run whole-tensor PyTorch where the CPU runs compiled loops: the whole arrays match,
    exactly for the integer and float64 texture sets, to float32 rounding for scattering (float32 FFTs)."""
    images = np.concatenate([photo_crops(8), edge_cases()])
    recipe = Recipe.default(feature_set)
    tensor, compiled = extract(images, recipe, kernels=TENSOR), extract(images, recipe, kernels=COMPILED)
    if feature_set == "scattering":
        np.testing.assert_allclose(tensor, compiled, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(tensor, compiled)


def test_the_device_chooses_the_path() -> None:
    assert kernels_for(torch.device("cpu")) is COMPILED
    assert kernels_for(torch.device("cuda")) is TENSOR and kernels_for(torch.device("mps")) is TENSOR


@pytest.mark.parametrize(("points", "radius", "distance", "angle"), [(4, 1.0, 1, 90), (32, 8.0, 16, 135)])
def test_compiled_loops_stay_in_bounds_at_the_params_limits(
    points: int, radius: float, distance: int, angle: float
) -> None:
    """numba does not check bounds; its ``py_func`` (the same code run by Python on numpy arrays)
    does, raising IndexError on any read or write past an array's end."""
    images = np.concatenate([photo_crops(1), edge_cases()[[4]]])  # a photograph and stripes
    gray = COMPILED.grayscale(torch.from_numpy(images)).numpy()
    offsets = lbp_offsets(points, radius)
    dy, dx = glcm_offset(distance, angle)
    for loop, args in [
        (compiled.luma, (images,)),
        (compiled.lbp_uniform_counts, (gray, *offsets)),
        (compiled.glcm_pair_statistics, (gray, dy, dx)),
        (compiled.wrapped_energy_counts, (gray * 1.5, -gray * 0.5)),
    ]:
        np.testing.assert_equal(loop.py_func(*args), loop(*args))  # arrays, or tuples of arrays


def test_chunking_does_not_change_results() -> None:
    images = photo_crops(20)
    np.testing.assert_array_equal(extract(images, chunk_size=7), extract(images, chunk_size=1024))


def test_shape_names_and_reference_implementation() -> None:
    images = photo_crops(4)
    out = extract(images, Recipe.default("lecture"), implementation="reference")
    assert out.shape == (4, 9)
    assert Recipe.default("lecture").names() == NAMES
    assert np.isfinite(out).all()


def test_flat_image_has_glcm_correlation_one_and_no_contrast() -> None:
    out = extract(np.full((1, 32, 32, 3), 77, np.uint8))[0]
    named = dict(zip(NAMES, out, strict=True))
    assert named["glcm_correlation"] == 1.0
    assert named["glcm_contrast"] == 0.0
    assert named["glcm_energy"] == 1.0


def test_an_error_in_one_chunk_cancels_the_rest_and_restores_torch_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def failing(chunk: torch.Tensor, settings: LectureParams, kernels: Kernels) -> torch.Tensor:
        calls.append(len(chunk))
        if len(calls) == 1:
            raise RuntimeError("boom")
        time.sleep(0.5)  # the other chunks are slow, so most are still queued when the error arrives
        return torch.zeros(len(chunk), len(NAMES), dtype=torch.float64)

    original = FEATURE_SETS["lecture"]
    monkeypatch.setitem(FEATURE_SETS, "lecture", FeatureSet(original.names, failing, original.reference))
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        extract(photo_crops(40), chunk_size=1)
    assert len(calls) < 40  # Executor.map cancels the queued chunks (Ctrl-C takes the same path)
    assert torch.get_num_threads() == threads


def test_rejects_images_that_are_not_uint8_rgb_and_bad_chunks() -> None:
    with pytest.raises(ValueError, match="uint8"):
        extract(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="chunk_size"):
        extract(photo_crops(1), chunk_size=0)


@pytest.mark.parametrize("group", ["lbp", "glcm", "gabor", "color", "palette"])
def test_extended_groups_match_scikit_image_on_photographs(group: str, kernels: Kernels) -> None:
    recipe = extended(groups=[group])
    images = photo_crops(12)
    fast = extract(images, recipe, kernels=kernels)
    slow = extract(images, recipe, implementation="reference")
    assert fast.shape == slow.shape == (12, len(recipe.names()))
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-7)  # float32 Gabor; the rest is exact


def test_extended_columns_follow_the_group_registry_whatever_the_params_order() -> None:
    images = photo_crops(3)
    forward, backward = extended(groups=["color", "palette"]), extended(groups=["palette", "color"])
    assert forward.names() == backward.names() and forward.names()[0] == "color_r_mean"
    np.testing.assert_array_equal(extract(images, forward), extract(images, backward))


def test_extended_set_has_190_named_features_with_the_defaults() -> None:
    names = Recipe.default("extended").names()
    assert len(names) == len(set(names)) == 190
    out = extract(edge_cases(), Recipe.default("extended"))
    assert out.shape == (len(edge_cases()), 190) and np.isfinite(out).all()
    lbp_8, palette = out[:, : 8 + 2], out[:, -(4**3) :]
    np.testing.assert_allclose(lbp_8.sum(1), 1.0)  # a histogram of every pixel's code
    np.testing.assert_allclose(palette.sum(1), 1.0)  # and of every pixel's colour


def test_a_recipe_round_trips_and_rejects_what_does_not_fit() -> None:
    recipe = extended(groups=["gabor"], gabor_frequencies=[0.2])
    assert Recipe.from_dict(recipe.to_dict()) == recipe
    with pytest.raises(ValueError, match="not a feature recipe"):
        Recipe.from_dict({"set": "nope"})
    with pytest.raises(ValueError, match="not a feature recipe"):
        Recipe.from_dict({"set": "lecture", "settings": {"groups": ["lbp"]}})


def test_params_name_exactly_the_registered_sets_and_groups() -> None:
    assert set(get_args(FeatureSetName)) == set(FEATURE_SETS)
    assert list(get_args(ExtendedGroup)) == list(GROUPS) == ExtendedParams().groups
