"""Feature scaling fitted on the training split only and stored with the model.

* ``lecture_minmax`` — the notebooks' ``(x - min) / max``: it divides by the max, not the range
  (kept on purpose for the lecture presets).
* ``minmax`` — the intended ``(x - min) / (max - min)``.
* ``zscore`` — mean 0, standard deviation 1.
* ``quantile`` — rank-Gauss: each feature's empirical CDF (1001 train quantiles) mapped through
  the normal quantile function; tames the heavy-tailed GLCM contrast/dissimilarity.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from pipeline.learning.params import SCALINGS

QUANTILES = np.linspace(0.0, 1.0, 1001)
_EPS = 1e-12


@dataclass
class Scaler:
    kind: str
    state: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def fit(cls, kind: str, x: np.ndarray) -> "Scaler":
        """The scaling of ``x``'s columns, in ``x``'s precision but at least float32 (float16 arrays,
        such as the textons', are summed and scaled in float32)."""
        if kind not in SCALINGS:
            raise ValueError(f"unknown scaling {kind!r}; choose from {SCALINGS}")
        wide = np.promote_types(x.dtype, np.float32)
        if kind in ("lecture_minmax", "minmax"):
            state = {"min": x.min(0), "max": x.max(0)}
        elif kind == "zscore":
            state = {"mean": x.mean(0, dtype=wide), "std": x.std(0, dtype=wide)}
        elif kind == "quantile":
            state = {"quantiles": np.quantile(x, QUANTILES, axis=0)}
        else:
            state = {}
        return cls(kind, {name: value.astype(wide, copy=False) for name, value in state.items()})

    def transform(self, x: np.ndarray) -> np.ndarray:
        """float32 scaled ``x``; the linear scalings of float32 rows make no copy besides the result
        (the scattering set's training rows are over a gigabyte)."""
        s = self.state
        if self.kind == "quantile":
            out = np.column_stack(
                [self._rank_gauss(x[:, j], s["quantiles"][:, j]) for j in range(x.shape[1])]
            )
        elif self.kind == "none":
            out = x
        else:
            shift, scale = self._affine()
            out = x - shift
            out /= scale
        return out.astype(np.float32, copy=False)

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """``(shift, scale)`` of the linear scalings: they map ``x`` to ``(x - shift) / scale``."""
        s = self.state
        if self.kind == "lecture_minmax":
            return s["min"], np.where(s["max"] == 0, 1.0, s["max"])
        if self.kind == "minmax":
            return s["min"], np.maximum(s["max"] - s["min"], _EPS)
        return s["mean"], np.maximum(s["std"], _EPS)

    @staticmethod
    def _rank_gauss(column: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
        # Ties (a constant stretch of quantiles) get the midpoint of their CDF range, like sklearn.
        forward = np.interp(column, quantiles, QUANTILES)
        backward = np.interp(-column, -quantiles[::-1], QUANTILES[::-1])
        cdf = 0.5 * (forward + backward)
        return ndtri(np.clip(cdf, 1e-7, 1 - 1e-7))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "state": {k: v.tolist() for k, v in self.state.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "Scaler":
        return cls(data["kind"], {k: np.asarray(v) for k, v in data["state"].items()})
