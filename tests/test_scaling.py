"""Feature scaling: the lecture's formula kept as-is, the others fitted on train only."""

import numpy as np
import pytest

from pipeline.learning.scaling import Scaler


@pytest.fixture
def x() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.column_stack([rng.normal(5, 2, 2000), rng.lognormal(0, 2, 2000), np.full(2000, 3.0)])


def test_lecture_minmax_divides_by_the_max_not_the_range(x: np.ndarray) -> None:
    out = Scaler.fit("lecture_minmax", x).transform(x)
    expected = (x[:, 0] - x[:, 0].min()) / x[:, 0].max()
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6)
    top = (x[:, 0].max() - x[:, 0].min()) / x[:, 0].max()  # the notebook's bug: not 1
    assert out[:, 0].max() == pytest.approx(top, rel=1e-6) and top != pytest.approx(1)


def test_minmax_spans_zero_to_one(x: np.ndarray) -> None:
    out = Scaler.fit("minmax", x).transform(x)
    np.testing.assert_allclose(out[:, :2].min(0), 0, atol=1e-6)
    np.testing.assert_allclose(out[:, :2].max(0), 1, atol=1e-6)
    assert np.isfinite(out).all()


def test_zscore_and_quantile_standardise(x: np.ndarray) -> None:
    for kind in ("zscore", "quantile"):
        out = Scaler.fit(kind, x).transform(x)
        np.testing.assert_allclose(out[:, :2].mean(0), 0, atol=0.02)
        np.testing.assert_allclose(out[:, :2].std(0), 1, atol=0.05)
        assert np.isfinite(out).all()


def test_quantile_tames_heavy_tails_and_keeps_order(x: np.ndarray) -> None:
    out = Scaler.fit("quantile", x).transform(x)
    assert np.abs(out[:, 1]).max() < 6
    order = np.argsort(x[:, 1])
    assert (np.diff(out[order, 1]) >= 0).all()


def test_fitted_state_survives_a_round_trip(x: np.ndarray) -> None:
    for kind in ("none", "lecture_minmax", "minmax", "zscore", "quantile"):
        scaler = Scaler.fit(kind, x[:1000])
        again = Scaler.from_dict(scaler.to_dict())
        np.testing.assert_array_equal(scaler.transform(x[1000:]), again.transform(x[1000:]))


@pytest.mark.parametrize("kind", ["minmax", "zscore", "quantile"])
def test_float16_rows_are_scaled_in_float32(x: np.ndarray, kind: str) -> None:
    half = np.column_stack([x[:, 0] * 1000, x[:, 0]]).astype(np.float16)  # a float16 sum would overflow
    scaler = Scaler.fit(kind, half)
    assert all(v.dtype == np.float32 for v in scaler.state.values())
    out = scaler.transform(half)
    expected = Scaler.fit(kind, half.astype(np.float32)).transform(half.astype(np.float32))
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
