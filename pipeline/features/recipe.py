"""The knobs of each feature set, shared by the reference and the fast implementation."""

from dataclasses import dataclass

NAMES = (
    "lbp_energy",
    "lbp_entropy",
    "glcm_contrast",
    "glcm_dissimilarity",
    "glcm_homogeneity",
    "glcm_energy",
    "glcm_correlation",
    "gabor_energy",
    "gabor_entropy",
)
GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation")


@dataclass(frozen=True)
class LectureRecipe:
    """Defaults are the lecture's: LBP (P=5, R=2, uniform), GLCM at distance 2 and 0°, Gabor f=0.6."""

    lbp_points: int = 5
    lbp_radius: float = 2.0
    glcm_distance: int = 2
    glcm_angle_deg: float = 0.0
    gabor_frequency: float = 0.6
    bins: int = 8

    def names(self) -> tuple[str, ...]:
        return NAMES


@dataclass(frozen=True)
class ExtendedRecipe:
    """Multi-scale texture and colour: LBP histograms, a GLCM grid, a Gabor bank, colour moments and
    a joint colour histogram (``palette``: ``palette_levels`` equal levels per channel)."""

    lbp_scales: tuple[tuple[int, float], ...] = ((8, 1.0), (16, 2.0))
    glcm_distances: tuple[int, ...] = (1, 2, 4)
    glcm_angles_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0)
    gabor_frequencies: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)
    gabor_orientations_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0)
    palette_levels: int = 4
    groups: tuple[str, ...] = ("lbp", "glcm", "gabor", "color", "palette")

    def names(self) -> tuple[str, ...]:
        names: list[str] = []
        if "lbp" in self.groups:
            names += [f"lbp_p{p}_r{r:g}_code{k}" for p, r in self.lbp_scales for k in range(p + 2)]
        if "glcm" in self.groups:
            names += [
                f"glcm_{prop}_d{d}_a{a:g}"
                for d in self.glcm_distances
                for a in self.glcm_angles_deg
                for prop in GLCM_PROPS
            ]
        if "gabor" in self.groups:
            names += [
                f"gabor_f{f:g}_a{a:g}_{stat}"
                for f in self.gabor_frequencies
                for a in self.gabor_orientations_deg
                for stat in ("mean", "std")
            ]
        if "color" in self.groups:
            names += [f"color_{c}_{stat}" for c in "rgb" for stat in ("mean", "std")]
        if "palette" in self.groups:
            levels = range(self.palette_levels)
            names += [f"palette_r{r}_g{g}_b{b}" for r in levels for g in levels for b in levels]
        return tuple(names)
