"""The ``features`` section of params.yaml: the one place its knobs, defaults and choices are defined.

Each feature set has its own sub-section (``features.lecture``, ``features.extended``); only the
chosen set's settings make up the recipe that the features, the model file and ``predict`` use.
"""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from pipeline.common.bounds import at_most, at_most_items
from pipeline.common.settings import Device, Section

Angle = Annotated[float, Field(allow_inf_nan=False)]  # degrees
Frequency = Annotated[float, Field(ge=0.05, le=1)]
GlcmDistance = Annotated[int, Field(ge=1, le=16)]
ExtendedGroup = Literal["lbp", "glcm", "gabor", "color", "palette"]
IMAGE_SIDE = 32  # CIFAR-10's (predict resizes other images to it)
GLCM_PAIRS = at_most_items(16, "entries", "each distance × angle pair is a co-occurrence matrix per image")
GABOR_PAIRS = at_most_items(
    16, "entries", "each frequency × orientation pair is one more filter over every image"
)


class LbpParams(Section):
    points: Annotated[int, Field(ge=1, le=32)] = 5  # P, neighbours on the circle
    radius: Annotated[float, Field(gt=0, le=8)] = 2.0  # R, in pixels


class GlcmParams(Section):
    distance: GlcmDistance = 2  # pixel-pair distance
    angle: Angle = 0.0  # 0 = horizontal pairs


class GaborParams(Section):
    frequency: Frequency = 0.6  # cycles per pixel


class LectureParams(Section):
    """Lecture 3's nine features; the defaults are the lecture's own."""

    bins: Annotated[int, Field(ge=1, le=256)] = 8  # histogram bins for LBP and Gabor energy/entropy
    lbp: LbpParams = LbpParams()
    glcm: GlcmParams = GlcmParams()
    gabor: GaborParams = GaborParams()


class ExtendedParams(Section):
    """Multi-scale texture and colour (190 numbers with the defaults)."""

    groups: Annotated[list[ExtendedGroup], Field(min_length=1)] = ["lbp", "glcm", "gabor", "color", "palette"]
    lbp: Annotated[
        list[LbpParams],
        at_most_items(8, "scales", "each is one more pass over every image; radius stops at 8"),
    ] = [LbpParams(points=8, radius=1.0), LbpParams(points=16, radius=2.0)]
    glcm_distances: Annotated[list[GlcmDistance], GLCM_PAIRS] = [1, 2, 4]
    glcm_angles: Annotated[list[Angle], GLCM_PAIRS] = [0.0, 45.0, 90.0, 135.0]
    gabor_frequencies: Annotated[list[Frequency], GABOR_PAIRS] = [0.1, 0.2, 0.3, 0.4]
    gabor_orientations: Annotated[list[Angle], GABOR_PAIRS] = [0.0, 45.0, 90.0, 135.0]
    palette_levels: Annotated[int, Field(ge=2, le=16)] = 4  # per channel: levels³ histogram bins

    @field_validator("groups")
    @classmethod
    def _groups_once(cls, groups: list[str]) -> list[str]:
        if len(set(groups)) != len(groups):
            raise ValueError("list each group once")
        return groups

    @model_validator(mode="after")
    def _enabled_groups_have_entries(self) -> "ExtendedParams":
        """An enabled group with an empty list computes nothing (and fails when the columns are joined)."""
        needs = {"lbp": ("lbp",), "glcm": ("glcm_distances", "glcm_angles")}
        needs["gabor"] = ("gabor_frequencies", "gabor_orientations")
        for group in self.groups:
            for key in needs.get(group, ()):
                if not getattr(self, key):
                    raise ValueError(
                        f"{key} is empty while groups lists {group}: give it entries or drop {group}"
                    )
        return self


class ScatteringParams(Section):
    """Wavelet scattering (Mallat; Kymatio's ``Scattering2D``), pooled and log-compressed."""

    J: Annotated[
        int, Field(ge=1), at_most(4, "scales", "a 32×32 image cannot be reflect-padded as J = 5 needs")
    ] = 2  # scales: maps are 2^J times smaller than the image
    L: Annotated[
        int, Field(ge=1), at_most(16, "orientations", "order 2 grows as L² (1,601 maps per channel at J = 4)")
    ] = 8  # wavelet orientations per scale
    order: Annotated[int, Field(ge=1, le=2)] = 2  # highest scattering order
    color: Literal["rgb", "yuv", "gray"] = "yuv"  # channels scattered
    pool: Annotated[int, Field(ge=1)] = 4  # average-pool each map to pool × pool positions
    compress: Literal["none", "log"] = "log"  # log: log(|S| + 1e-4) of orders ≥ 1
    symmetric: bool = False  # average each image's coefficients with its mirror's, mapped back

    @model_validator(mode="after")
    def _pool_divides_the_maps(self) -> "ScatteringParams":
        side = IMAGE_SIDE // 2**self.J
        if side % self.pool:
            fits = ", ".join(str(p) for p in range(1, side + 1) if side % p == 0)
            raise ValueError(
                f"pool {self.pool} does not divide the {side}×{side} maps of J = {self.J} "
                f"({IMAGE_SIDE} / 2^J per side): choose pool {fits}, or a smaller J"
            )
        return self


class TextonsParams(Section):
    """Textons (Coates, Lee & Ng 2011): a dictionary of whitened patches learned from the training
    images by spherical k-means, each image described by its soft-thresholded responses, pooled."""

    patch: Annotated[int, Field(ge=2, le=16)] = 6  # patch side, pixels
    stride: Annotated[int, Field(ge=1, le=8)] = 1  # between patch positions, pixels
    k: Annotated[int, Field(ge=2, le=4096)] = 1440  # dictionary size (textons), even
    whiten_eps: Annotated[float, Field(gt=0, le=100)] = 0.1  # ZCA regulariser, added to each eigenvalue
    alpha: Annotated[float, Field(ge=0, le=10)] = 0.25  # soft threshold: max(0, response - alpha)
    signs: Literal["both", "positive"] = "positive"  # both: also max(0, -response - alpha)
    grid: Annotated[int, Field(ge=1, le=8)] = 3  # average responses over grid × grid regions
    fit_patches: Annotated[int, Field(ge=100, le=2_000_000)] = 200_000  # random training patches
    iterations: Annotated[int, Field(ge=1, le=200)] = 10  # k-means iterations
    seed: Annotated[int, Field(ge=0)] = 0  # patch sample and initial centroids

    @model_validator(mode="after")
    def _enough_patches(self) -> "TextonsParams":
        if self.fit_patches < self.k:
            raise ValueError(f"fit_patches ({self.fit_patches}) must be at least k ({self.k})")
        if self.k % 2:
            raise ValueError(f"k ({self.k}) must be even: half the textons are the mirrors of the other half")
        return self


CombinedPart = Literal["scattering", "textons"]  # the sets computed in float32 (lecture, extended: float64)


class CombinedParams(Section):
    """``features.combined``: the sets whose columns stand side by side, in this order; each part
    takes its settings from its own section (``features.textons``, ``features.scattering``)."""

    sets: list[CombinedPart] = ["textons", "scattering"]

    @field_validator("sets")
    @classmethod
    def _distinct(cls, sets: list[str]) -> list[str]:
        if len(sets) < 2 or len(set(sets)) != len(sets):
            raise ValueError("list two or more different sets (choose from scattering, textons)")
        return sets


class CombinedSettings(Section):
    """A combined recipe's settings: the parts and each part's own settings, shaped as the
    ``features`` section they come from (``{"combined": {"sets": [...]}, "textons": {...}, ...}``)."""

    combined: CombinedParams
    scattering: ScatteringParams | None = None
    textons: TextonsParams | None = None

    @model_validator(mode="after")
    def _settings_of_the_parts(self) -> "CombinedSettings":
        given = {name for name in CombinedPart.__args__ if getattr(self, name) is not None}
        if given != set(self.combined.sets):
            raise ValueError(f"a combined recipe holds the settings of exactly its sets {self.combined.sets}")
        return self

    @property
    def parts(self) -> list[tuple[str, "ScatteringParams | TextonsParams"]]:
        """``(set, settings)`` of each part, in column order."""
        return [(name, getattr(self, name)) for name in self.combined.sets]


FeatureSetName = Literal["lecture", "extended", "scattering", "textons", "combined"]
Settings = LectureParams | ExtendedParams | ScatteringParams | TextonsParams | CombinedSettings


class FeatureParams(Section):
    set: FeatureSetName = "lecture"
    implementation: Literal["batched", "reference"] = "batched"  # reference: per-image scikit-image
    augment: Literal["none", "flip"] = "none"  # flip: also the mirrored training images (train_flipped.npy)
    lecture: LectureParams = LectureParams()
    extended: ExtendedParams = ExtendedParams()
    scattering: ScatteringParams = ScatteringParams()
    textons: TextonsParams = TextonsParams()
    combined: CombinedParams = CombinedParams()

    @model_validator(mode="after")
    def _reference_exists(self) -> "FeatureParams":
        sets = self.combined.sets if self.set == "combined" else [self.set]
        if self.implementation == "reference" and "scattering" in sets:
            raise ValueError(f"{self.set}: scattering has no reference implementation; use batched")
        return self

    @property
    def settings(self) -> Settings:
        """The chosen set's own section (a combination: its parts' sections)."""
        if self.set != "combined":
            return getattr(self, self.set)
        parts = {name: getattr(self, name) for name in self.combined.sets}
        return CombinedSettings(combined=self.combined, **parts)


class FeaturesCompute(Section):
    """Where the features stage computes and in what batches: the arrays are byte-identical
    whatever these are (tested), so they sit outside ``features``, which dvc.yaml depends on whole."""

    device: Device = "auto"  # where the batched implementation runs
    chunk_size: Annotated[int, Field(ge=1, le=65536)] = 256  # images per batch: bounds memory


class ComputeParams(Section):
    """The ``compute`` section: speed and place only, no stage's dependency (``check_params``
    checks it whenever params.yaml changes)."""

    features: FeaturesCompute = FeaturesCompute()
