"""The fast batched features against the scikit-image reference, on real photographs."""

import time

import numpy as np
import pytest
import torch
from skimage.filters import gabor

from pipeline.features import FEATURE_SETS, cpu_kernels, extract, feature_names, lecture, reference
from pipeline.features.gabor import gabor_response
from pipeline.features.recipe import NAMES, ExtendedRecipe, LectureRecipe
from tests.helpers import photo_crops


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


def assert_parity(images: np.ndarray, recipe: LectureRecipe) -> None:
    fast = extract(images, recipe=recipe, device="cpu")
    slow = reference.extract(images, recipe)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_lecture_features_match_scikit_image_on_photographs() -> None:
    assert_parity(photo_crops(64), LectureRecipe())


def test_lecture_features_match_scikit_image_on_edge_cases() -> None:
    assert_parity(edge_cases(), LectureRecipe())


@pytest.mark.parametrize(
    "recipe",
    [
        LectureRecipe(lbp_points=8, lbp_radius=1.0),
        LectureRecipe(lbp_points=16, lbp_radius=2.5, bins=16),
        LectureRecipe(lbp_points=4, lbp_radius=1.0),  # integer offsets at 270°: the last padded row
        LectureRecipe(lbp_points=32, lbp_radius=8.0, glcm_distance=16, glcm_angle_deg=45),  # params limits
        LectureRecipe(glcm_distance=1, glcm_angle_deg=90),
        LectureRecipe(glcm_distance=3, glcm_angle_deg=135),
        LectureRecipe(gabor_frequency=0.2, bins=5),
    ],
)
def test_other_recipes_match_scikit_image(recipe: LectureRecipe) -> None:
    assert_parity(photo_crops(16), recipe)


def test_grayscale_is_pils_convert_l() -> None:
    rng = np.random.default_rng(2)
    images = np.concatenate([photo_crops(16), rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)])
    expected = np.stack([reference.grayscale(im) for im in images])
    for fast in (lecture.grayscale, lecture.tensor_grayscale):  # the CPU's compiled loop, other devices'
        np.testing.assert_array_equal(fast(torch.from_numpy(images)).numpy(), expected)


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
    return lecture.grayscale(torch.from_numpy(np.concatenate([photo_crops(16), edge_cases()])))


@pytest.mark.parametrize(("points", "radius"), [(5, 2.0), (8, 1.0), (16, 2.5), (4, 1.0), (32, 8.0)])
def test_compiled_lbp_counts_equal_the_pytorch_path(points: int, radius: float) -> None:
    """The CPU's numba loop and the PyTorch code other devices run count the same codes."""
    gray = gray_test_images()
    compiled = lecture.lbp_histogram(gray, points, radius)
    tensor = lecture.value_counts(lecture.lbp_uniform(gray, points, radius), points + 2)
    assert compiled.dtype == torch.int64
    torch.testing.assert_close(compiled, tensor.to(torch.int64), rtol=0, atol=0)


@pytest.mark.parametrize(("dy", "dx"), [(0, 2), (1, 0), (2, -2), (3, 3), (0, 31)])
def test_compiled_glcm_statistics_equal_the_pytorch_path(dy: int, dx: int) -> None:
    gray = gray_test_images()
    for compiled, tensor in zip(
        lecture.glcm_pair_statistics(gray, dy, dx),
        lecture.tensor_glcm_pair_statistics(gray, dy, dx),
        strict=True,
    ):
        torch.testing.assert_close(compiled, tensor, rtol=0, atol=0)


@pytest.mark.parametrize("frequency", [0.1, 0.6])
def test_compiled_gabor_energy_counts_equal_the_pytorch_path(frequency: float) -> None:
    gray = gray_test_images()
    compiled = lecture.gabor_energy_histogram(gray, frequency)
    tensor = lecture.value_counts(lecture.gabor_wrapped_energy(gray, frequency), 256)
    torch.testing.assert_close(compiled, tensor.to(torch.int64), rtol=0, atol=0)


@pytest.mark.parametrize("bins", [1, 5, 8, 16])
def test_histogram_energy_entropy_is_np_histograms(bins: int) -> None:
    """Random value spreads, incl. a single value, two values and gaps, against np.histogram."""
    rng = np.random.default_rng(bins)
    images = [rng.integers(low, high + 1, 300) for low, high in [(0, 255), (7, 7), (3, 4), (10, 200), (0, 6)]]
    images.append(np.array([0, 255, 255, 17]))
    counts = torch.stack([torch.bincount(torch.from_numpy(v), minlength=256) for v in images])
    fast = lecture.histogram_energy_entropy(counts, bins).numpy()
    np.testing.assert_allclose(fast, [reference.energy_entropy(v, bins) for v in images], rtol=1e-12)


@pytest.mark.parametrize("feature_set", ["lecture", "extended"])
def test_the_pytorch_path_of_other_devices_gives_the_same_features(
    feature_set: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CUDA and MPS run whole-tensor PyTorch where the CPU runs compiled loops: run that path on
    the CPU and compare the whole feature arrays."""
    images = np.concatenate([photo_crops(8), edge_cases()])
    compiled = extract(images, feature_set)
    monkeypatch.setattr(lecture, "compiled_loops_for", lambda tensor: False)
    np.testing.assert_array_equal(extract(images, feature_set), compiled)


@pytest.mark.parametrize(("points", "radius", "distance", "angle"), [(4, 1.0, 1, 90), (32, 8.0, 16, 135)])
def test_compiled_loops_stay_in_bounds_at_the_params_limits(
    points: int, radius: float, distance: int, angle: float
) -> None:
    """numba does not check bounds; its ``py_func`` (the same code run by Python on numpy arrays)
    does, raising IndexError on any read or write past an array's end."""
    images = np.concatenate([photo_crops(1), edge_cases()[[4]]])  # a photograph and stripes
    gray = lecture.grayscale(torch.from_numpy(images)).numpy()
    offsets = lecture.lbp_offsets(points, radius)
    dy, dx = lecture._glcm_offset(distance, angle)
    for kernel, args in [
        (cpu_kernels.luma, (images,)),
        (cpu_kernels.lbp_uniform_counts, (gray, *offsets)),
        (cpu_kernels.glcm_pair_statistics, (gray, dy, dx)),
        (cpu_kernels.wrapped_energy_counts, (gray * 1.5, -gray * 0.5)),
    ]:
        np.testing.assert_equal(kernel.py_func(*args), kernel(*args))  # arrays, or tuples of arrays


def test_chunking_does_not_change_results() -> None:
    images = photo_crops(20)
    np.testing.assert_array_equal(extract(images, chunk_size=7), extract(images, chunk_size=1024))


def test_shape_names_and_skimage_backend() -> None:
    images = photo_crops(4)
    out = extract(images, "lecture", "cpu", backend="skimage")
    assert out.shape == (4, 9)
    assert feature_names("lecture") == NAMES
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

    def failing(chunk: torch.Tensor, recipe: LectureRecipe) -> torch.Tensor:
        calls.append(len(chunk))
        if len(calls) == 1:
            raise RuntimeError("boom")
        time.sleep(0.5)  # the other chunks are slow, so most are still queued when the error arrives
        return torch.zeros(len(chunk), len(recipe.names()), dtype=torch.float64)

    monkeypatch.setitem(FEATURE_SETS, "lecture", (LectureRecipe(), failing))
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        extract(photo_crops(40), chunk_size=1)
    assert len(calls) < 40  # Executor.map cancels the queued chunks (Ctrl-C takes the same path)
    assert torch.get_num_threads() == threads


def test_rejects_images_that_are_not_uint8_rgb() -> None:
    with pytest.raises(ValueError, match="uint8"):
        extract(np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="unknown feature set"):
        extract(photo_crops(1), "nope")


@pytest.mark.parametrize("group", ["lbp", "glcm", "gabor", "color", "palette"])
def test_extended_groups_match_scikit_image_on_photographs(group: str) -> None:
    recipe = ExtendedRecipe(groups=(group,))
    images = photo_crops(12)
    fast = extract(images, "extended", recipe=recipe)
    slow = reference.extract(images, recipe)
    assert fast.shape == slow.shape == (12, len(recipe.names()))
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-7)  # float32 Gabor; the rest is exact


def test_extended_set_has_190_named_features_with_the_defaults() -> None:
    names = feature_names("extended")
    assert len(names) == len(set(names)) == 190
    out = extract(edge_cases(), "extended")
    assert out.shape == (len(edge_cases()), 190) and np.isfinite(out).all()
    lbp_8, palette = out[:, : 8 + 2], out[:, -(4**3) :]
    np.testing.assert_allclose(lbp_8.sum(1), 1.0)  # a histogram of every pixel's code
    np.testing.assert_allclose(palette.sum(1), 1.0)  # and of every pixel's colour


def test_a_recipe_must_fit_its_feature_set() -> None:
    with pytest.raises(ValueError, match="takes a ExtendedRecipe"):
        extract(photo_crops(1), "extended", recipe=LectureRecipe())
