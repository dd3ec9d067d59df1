"""``combined``: the columns of several feature sets side by side (textons and scattering), each part
computed with its own section's settings and, where it learns, its own fitted state.

The arrays are stored as float16, as the textons are: a combination is the widest feature set there
is, and the z-scored columns the classifier sees lose nothing measurable to the rounding
(docs/results.md). A mirrored image's features are a column permutation when every part's are.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pipeline.features.kernels import Kernels
from pipeline.features.params import CombinedSettings
from pipeline.features.registry import FeatureSet


@dataclass(frozen=True)
class Combination:
    """A fitted combination: the settings, and what each part's implementation takes (its fitted
    state for a learned part, its settings for the others), in column order."""

    settings: CombinedSettings
    inputs: tuple[Any, ...]

    def to_dict(self) -> list[Any]:
        """Each part's state (``to_dict``), or None for a part that learns nothing."""
        return [None if inputs is settings else inputs.to_dict() for inputs, (_, settings) in self._paired()]

    def _paired(self) -> zip:
        return zip(self.inputs, self.settings.parts, strict=True)


def combination(parts: dict[str, FeatureSet]) -> FeatureSet:
    """The ``combined`` feature set over the registered ``parts`` (set name → feature set)."""

    def part_sets(settings: CombinedSettings) -> list[tuple[FeatureSet, Any]]:
        return [(parts[name], part_settings) for name, part_settings in settings.parts]

    def names(settings: CombinedSettings) -> tuple[str, ...]:
        return tuple(name for part, inputs in part_sets(settings) for name in part.names(inputs))

    def fit(images: np.ndarray, settings: CombinedSettings) -> Combination:
        inputs = tuple(s if part.fit is None else part.fit(images, s) for part, s in part_sets(settings))
        return Combination(settings, inputs)

    def load_state(data: Any, settings: CombinedSettings) -> Combination:
        """The inverse of :meth:`Combination.to_dict`; a ``ValueError`` names what does not fit."""
        sets = part_sets(settings)
        if not isinstance(data, list) or len(data) != len(sets):
            raise ValueError(f"a combined state is a list of {len(sets)} part states")
        inputs = []
        for (part, part_settings), state in zip(sets, data, strict=True):
            if (state is None) != (part.load_state is None):
                raise ValueError("a combined state has a state exactly for each part that learns one")
            inputs.append(part_settings if state is None else part.load_state(state, part_settings))
        return Combination(settings, tuple(inputs))

    def batched(images: torch.Tensor, state: Combination, kernels: Kernels) -> torch.Tensor:
        return torch.cat(
            [parts[name].batched(images, inputs, kernels) for inputs, (name, _) in state._paired()], dim=1
        )

    def mirror(settings: CombinedSettings) -> np.ndarray | None:
        permutations, offset = [], 0
        for part, part_settings in part_sets(settings):
            permutation = part.mirror(part_settings) if part.mirror else None
            if permutation is None:
                return None
            permutations.append(permutation + offset)
            offset += len(permutation)
        return np.concatenate(permutations)

    return FeatureSet(names, batched, None, np.float16, fit=fit, load_state=load_state, mirror=mirror)
