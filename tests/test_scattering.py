"""Our batched scattering transform against Kymatio's ``Scattering2D``, and the features built on it."""

import numpy as np
import pytest
import torch
from kymatio.scattering2d.frontend.torch_frontend import ScatteringTorch2D
from pydantic import ValidationError

from pipeline.features.kernels import COMPILED, TENSOR, Kernels, compiled
from pipeline.features.scattering import (
    LOG_EPS,
    ScatteringParams,
    scattering,
    scattering_features,
    scattering_mirror,
    scattering_names,
)
from tests.helpers import photo_crops


def photos(count: int = 32) -> torch.Tensor:
    return torch.from_numpy(photo_crops(count))


def as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, H, W, 3)`` → float32 ``(N, 3, H, W)`` in [0, 1], Kymatio's input."""
    return images.permute(0, 3, 1, 2).to(torch.float32).div(255).contiguous()


def raw(images: torch.Tensor, params: ScatteringParams) -> torch.Tensor:
    return scattering(as_float(images), params.J, params.L, params.order)


@pytest.mark.parametrize(
    ("J", "L", "order", "shape"),
    [
        (2, 8, 2, (32, 32)),
        (2, 8, 1, (32, 32)),
        pytest.param(3, 6, 2, (32, 32), marks=pytest.mark.slow),  # Kymatio takes ~15 s here
        (1, 4, 2, (32, 32)),
        pytest.param(2, 5, 2, (24, 32), marks=pytest.mark.slow),  # odd L, a non-square image
    ],
)
def test_matches_kymatio_on_photographs(
    J: int, L: int, order: int, shape: tuple[int, int], kernels: Kernels
) -> None:
    x = as_float(photos())[..., : shape[0], : shape[1]].contiguous()
    expected = ScatteringTorch2D(J=J, shape=shape, L=L, max_order=order)(x)
    got = scattering(x, J, L, order, kernels=kernels)
    assert got.shape == expected.shape
    # Per order: its coefficients are ~30× smaller at each order, so each gets its own absolute floor
    # (2e-6 of its largest value, float32 rounding of the FFTs); measured worst: 4.4e-7.
    first_order_end = 1 + J * L
    for part in (slice(0, 1), slice(1, first_order_end), slice(first_order_end, None)):
        if expected[:, :, part].numel():
            scale = expected[:, :, part].abs().max().item()
            torch.testing.assert_close(got[:, :, part], expected[:, :, part], rtol=1e-5, atol=2e-6 * scale)


@pytest.mark.parametrize(
    ("J", "L", "order", "paths"), [(2, 8, 2, 81), (2, 8, 1, 17), (3, 4, 2, 61), (1, 6, 2, 7)]
)
def test_shape_and_number_of_paths(J: int, L: int, order: int, paths: int) -> None:
    out = scattering(torch.rand(2, 3, 32, 48), J, L, order)
    assert out.shape == (2, 3, paths, 32 // 2**J, 48 // 2**J)
    assert paths == 1 + J * L + (L * L * J * (J - 1) // 2 if order == 2 else 0)


def test_compiled_loops_stay_in_bounds() -> None:
    """numba does not check bounds; each loop's ``py_func`` (run by Python on numpy arrays) does."""
    rng = np.random.default_rng(0)
    spectra = rng.standard_normal((3, 10, 40), dtype=np.float32)  # 3 spectra of 10 × 20 complex values
    filters = rng.standard_normal((2, 2, 2, 5, 20), dtype=np.float32)  # L = 2, k = 2: blocks of 5 × 10
    for loop, args, shape in [
        (compiled.periodized_product, (spectra, filters), (3, 2, 5, 20)),
        (compiled.modulus, (spectra.reshape(-1),), (spectra.size // 2,)),
    ]:
        checked, fast = np.empty(shape, np.float32), np.empty(shape, np.float32)
        loop.py_func(*args, checked)
        loop(*args, fast)
        np.testing.assert_allclose(fast, checked, rtol=1e-6)


def test_kernels_agree() -> None:
    spectra = torch.randn(4, 40, 80)
    filters = torch.randn(8, 2, 2, 20, 40)
    torch.testing.assert_close(
        COMPILED.periodized_product(spectra, filters), TENSOR.periodized_product(spectra, filters)
    )
    pairs = torch.randn(4, 8, 20, 20, 2)
    torch.testing.assert_close(COMPILED.modulus(pairs), TENSOR.modulus(pairs))
    expected = torch.view_as_complex(pairs).abs()
    torch.testing.assert_close(COMPILED.modulus(pairs), expected)


def test_names_match_columns_and_their_values() -> None:
    params = ScatteringParams(color="rgb", compress="none")
    images = photos(4)
    features = scattering_features(images, params)
    names = scattering_names(params)
    assert features.shape == (4, len(names)) == (4, 3 * 81 * 16)
    assert len(set(names)) == len(names)
    coefficients = raw(images, params)  # (N, 3, 81, 8, 8); pooled 4 × 4: 2 × 2 windows
    # Order 2 of (j1=0, θ1=3) then (j2=1, θ2=5): after order 0 and the 2·8 order-1 paths.
    path = 1 + 2 * 8 + 3 * 8 + 5
    expected = coefficients[:, 1, path, 2:4, 4:6].mean((-2, -1))  # green, pooled row 1, column 2
    torch.testing.assert_close(features[:, names.index("scat_g_o2_j0_t3_j1_t5_p1_2")], expected)
    torch.testing.assert_close(
        features[:, names.index("scat_b_o1_j1_t7_p3_0")], coefficients[:, 2, 16, 6:, :2].mean((-2, -1))
    )
    assert names[0] == "scat_r_o0_p0_0" and names[-1] == "scat_b_o2_j0_t7_j1_t7_p3_3"


def test_order_one_names() -> None:
    names = scattering_names(ScatteringParams(order=1, color="gray", pool=2, J=3, L=4))
    assert len(names) == (1 + 3 * 4) * 4
    assert names[4:8] == tuple(f"scat_y_o1_j0_t0_p{r}_{c}" for r in range(2) for c in range(2))


def test_color_conversion() -> None:
    """Gray photos (R = G = B): Y is that gray, U and V are zero; ``gray`` is the Y of ``yuv``."""
    gray_images = photos(8)[..., :1].expand(-1, -1, -1, 3).contiguous()
    none = {"compress": "none", "pool": 8}
    rgb = scattering_features(gray_images, ScatteringParams(color="rgb", **none)).view(8, 3, -1)
    yuv = scattering_features(gray_images, ScatteringParams(color="yuv", **none)).view(8, 3, -1)
    gray = scattering_features(gray_images, ScatteringParams(color="gray", **none))
    torch.testing.assert_close(yuv[:, 0], rgb[:, 0], rtol=1e-5, atol=1e-6)
    assert yuv[:, 1:].abs().max() < 1e-6
    torch.testing.assert_close(gray, yuv[:, 0])
    colourful = photos(8)
    y = scattering_features(colourful, ScatteringParams(color="gray", **none))
    luma = (as_float(colourful) * torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)).sum(1, keepdim=True)
    torch.testing.assert_close(y, scattering(luma, 2, 8, 2).flatten(1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pool", [1, 2, 4, 8])
def test_pooling_averages_windows(pool: int) -> None:
    images = photos(4)
    features = scattering_features(images, ScatteringParams(color="rgb", compress="none", pool=pool))
    window = 8 // pool
    coefficients = raw(images, ScatteringParams())
    expected = coefficients.unflatten(-2, (pool, window)).unflatten(-1, (pool, window)).mean((-3, -1))
    torch.testing.assert_close(features, expected.flatten(1))


def test_pool_must_divide_the_maps() -> None:
    with pytest.raises(ValueError, match="does not divide"):
        scattering_features(photos(2), ScatteringParams(pool=3))


def test_log_compression_of_orders_one_and_two() -> None:
    images = photos(4)
    plain = scattering_features(images, ScatteringParams(compress="none")).view(4, 3, 81, 16)
    logged = scattering_features(images, ScatteringParams(compress="log")).view(4, 3, 81, 16)
    torch.testing.assert_close(logged[:, :, 0], plain[:, :, 0])  # order 0 stays linear
    torch.testing.assert_close(logged[:, :, 1:], torch.log(plain[:, :, 1:].abs() + LOG_EPS))


def test_same_output_whatever_the_chunking() -> None:
    images = photos(48)
    params = ScatteringParams()
    whole = scattering_features(images, params)
    for size in (1, 7, 20):
        chunks = torch.cat([scattering_features(chunk, params) for chunk in images.split(size)])
        assert torch.equal(chunks, whole)


@pytest.mark.parametrize(
    "change",
    [
        {"J": 0},
        {"J": 5},
        {"L": 0},
        {"order": 3},
        {"color": "hsv"},
        {"pool": 0},
        {"compress": "sqrt"},
        {"J": "2"},
        {"J": 2.0},
        {"typo": 1},
    ],
)
def test_params_are_validated(change: dict) -> None:
    with pytest.raises(ValidationError):
        ScatteringParams(**change)


def test_rejects_wrong_inputs() -> None:
    with pytest.raises(ValueError, match="uint8"):
        scattering_features(photos(2).to(torch.float32), ScatteringParams())
    with pytest.raises(ValueError, match="float32"):
        scattering(torch.zeros(1, 1, 32, 32, dtype=torch.float64), 2, 8, 2)
    with pytest.raises(ValueError, match="exceeds"):
        scattering(torch.zeros(1, 1, 8, 8), 4, 8, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu() -> None:
    images = photos(16)
    params = ScatteringParams()
    cpu = scattering_features(images, params)
    cuda = scattering_features(images.cuda(), params).cpu()
    torch.testing.assert_close(cuda, cpu, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "settings",
    [{}, {"J": 3, "L": 6, "pool": 2, "color": "gray"}, {"L": 5, "order": 1, "pool": 8, "compress": "none"}],
)
def test_symmetric_features_of_a_mirrored_image_are_a_permutation(settings: dict) -> None:
    params = ScatteringParams.model_validate({**settings, "symmetric": True})
    images = photos(6)
    features, mirrored = (scattering_features(x.contiguous(), params) for x in (images, images.flip(2)))
    mirror = scattering_mirror(params)
    assert sorted(mirror) == list(range(features.shape[1]))
    assert (mirror[mirror] == np.arange(len(mirror))).all()  # its own inverse
    assert (mirrored - features).abs().max() > 0.1  # another image ...
    torch.testing.assert_close(mirrored, features[:, mirror], rtol=0, atol=0)  # ... its columns permuted
    plain = ScatteringParams.model_validate(settings)
    assert scattering_mirror(plain) is None
    halves = scattering_features(images, plain), scattering_features(images.flip(2).contiguous(), plain)
    torch.testing.assert_close(features, (halves[0] + halves[1][:, mirror]) / 2)


def test_the_mirror_pairs_each_coefficient_with_its_mirrored_counterpart() -> None:
    """Kymatio's coefficients of a mirrored image lie close to the image's permuted ones (one pixel
    of sampling apart), far closer than with the regions mirrored but the angles left unpaired."""
    params = ScatteringParams(symmetric=True)
    mirror, names = scattering_mirror(params), scattering_names(params)
    assert names[mirror[names.index("scat_u_o1_j1_t0_p2_0")]] == "scat_u_o1_j1_t6_p2_3"  # 3π/8 ↔ −3π/8
    assert names[mirror[names.index("scat_y_o2_j0_t3_j1_t1_p0_1")]] == "scat_y_o2_j0_t3_j1_t5_p0_2"
    images = photos(32)
    features = scattering_features(images, ScatteringParams())
    mirrored = scattering_features(images.flip(2).contiguous(), ScatteringParams())
    spread = features.std(0) + 1e-6

    def apart(permutation: np.ndarray) -> float:
        return ((mirrored - features[:, permutation]) / spread).square().mean().item()

    regions_only = np.arange(len(mirror)).reshape(-1, 4, 4)[:, :, ::-1].ravel()
    # measured 0.11 against 0.28 with the regions only mirrored
    assert apart(mirror) < 0.5 * min(apart(regions_only), apart(np.arange(len(mirror))))
