"""The knobs of lecture 3's texture recipe, shared by the reference and the fast implementation."""

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
