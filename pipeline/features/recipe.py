"""A recipe: which feature set, with which settings. The features stage writes it beside the arrays
and the model file keeps it, so ``predict`` computes exactly the features the model was trained on."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from pipeline.features import extended, lecture, scattering
from pipeline.features.params import FeatureParams, FeatureSetName, Settings
from pipeline.features.registry import FeatureSet

FEATURE_SETS: dict[str, FeatureSet] = {
    "lecture": lecture.FEATURE_SET,
    "extended": extended.FEATURE_SET,
    "scattering": scattering.FEATURE_SET,
}


@dataclass(frozen=True)
class Recipe:
    """What the features are. Not where or how they are computed (device, chunk size, batched or
    reference implementation): those never change the numbers."""

    set: FeatureSetName
    settings: Settings

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
            params = FeatureParams.model_validate(
                {"set": name, **({name: data["settings"]} if "settings" in data else {})}
            )
        except ValidationError as err:
            raise ValueError(
                f"not a feature recipe: {err.errors()[0]['msg']} at {err.errors()[0]['loc']}"
            ) from err
        return cls.from_params(params)

    def to_dict(self) -> dict[str, Any]:
        return {"set": self.set, "settings": self.settings.model_dump()}

    def names(self) -> tuple[str, ...]:
        """One name per feature column, in column order."""
        return FEATURE_SETS[self.set].names(self.settings)

    @property
    def feature_set(self) -> FeatureSet:
        return FEATURE_SETS[self.set]
