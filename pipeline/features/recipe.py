"""A recipe: which feature set, with which settings. The features stage writes it beside the arrays
and the model file keeps it, so ``predict`` computes exactly the features the model was trained on."""

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from pipeline.features import extended, lecture, scattering, textons
from pipeline.features.combined import combination
from pipeline.features.params import CombinedSettings, FeatureParams, FeatureSetName, Settings
from pipeline.features.registry import FeatureSet

FEATURE_SETS: dict[str, FeatureSet] = {
    "lecture": lecture.FEATURE_SET,
    "extended": extended.FEATURE_SET,
    "scattering": scattering.FEATURE_SET,
    "textons": textons.FEATURE_SET,
}
FEATURE_SETS["combined"] = combination({name: FEATURE_SETS[name] for name in ("scattering", "textons")})


@dataclass(frozen=True)
class Recipe:
    """What the features are. Not where or how they are computed (device, chunk size, batched or
    reference implementation): those never change the numbers. A learned set (textons) also carries
    ``state``, fitted on the training images by :meth:`fitted`."""

    set: FeatureSetName
    settings: Settings
    state: Any = None  # e.g. textons.Dictionary; None until fitted, and for the sets that learn nothing

    @classmethod
    def from_params(cls, params: FeatureParams) -> "Recipe":
        return cls(params.set, params.settings)

    @classmethod
    def default(cls, feature_set: str = "lecture") -> "Recipe":
        """The set's recipe with the defaults of params.yaml."""
        return cls.from_dict({"set": feature_set})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Recipe":
        """The inverse of :meth:`to_dict`; a ``ValueError`` names what does not fit."""
        name = data.get("set")
        try:
            if name == "combined" and "settings" in data:  # the parts' sections, each whole
                recipe = cls(name, CombinedSettings.model_validate(data["settings"]))
            else:
                sections = {name: data["settings"]} if "settings" in data else {}
                recipe = cls.from_params(FeatureParams.model_validate({"set": name, **sections}))
        except ValidationError as err:
            raise ValueError(
                f"not a feature recipe: {err.errors()[0]['msg']} at {err.errors()[0]['loc']}"
            ) from err
        load_state = recipe.feature_set.load_state
        if "state" not in data:
            return recipe
        if load_state is None:
            raise ValueError(f"feature set {name!r} learns nothing, yet the recipe holds a state")
        return replace(recipe, state=load_state(data["state"], recipe.settings))

    def to_dict(self) -> dict[str, Any]:
        state = {} if self.state is None else {"state": self.state.to_dict()}
        return {"set": self.set, "settings": self.settings.model_dump(), **state}

    def fitted(self, train_images: np.ndarray) -> "Recipe":
        """This recipe with its learned state fitted on ``train_images`` (itself for a set that learns
        nothing): call it with the training images only, then extract every split with the result."""
        fit = self.feature_set.fit
        return self if fit is None else replace(self, state=fit(train_images, self.settings))

    @property
    def needs_fit(self) -> bool:
        return self.feature_set.fit is not None and self.state is None

    @property
    def inputs(self) -> Any:
        """What the set's ``batched`` and ``reference`` take: its settings, or its fitted state."""
        return self.settings if self.feature_set.fit is None else self.state

    def names(self) -> tuple[str, ...]:
        """One name per feature column, in column order."""
        return FEATURE_SETS[self.set].names(self.settings)

    @property
    def feature_set(self) -> FeatureSet:
        return FEATURE_SETS[self.set]
