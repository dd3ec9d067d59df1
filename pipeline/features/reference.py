"""Each feature set, one image at a time with scikit-image: the reference the fast path must match.

Kept deliberately literal (uint8 grayscale from PIL, scikit-image calls, ``np.histogram``) so that
``features.backend: skimage`` reproduces the notebook and the tests can compare against it.
"""

import numpy as np
from PIL import Image
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern
from skimage.filters import gabor

from pipeline.features.recipe import GLCM_PROPS, ExtendedRecipe, LectureRecipe


def grayscale(image: np.ndarray) -> np.ndarray:
    """PIL's ``convert("L")`` of one uint8 RGB image, as the lecture does."""
    return np.array(Image.fromarray(image).convert("L"))


def energy_entropy(values: np.ndarray, bins: int) -> tuple[float, float]:
    """Energy Σp² and entropy −Σp·log2 p of ``np.histogram(values, bins)`` (empty bins add 0)."""
    hist, _ = np.histogram(values, bins)
    p = hist / hist.sum()
    nonzero = p[p > 0]
    return float(np.sum(p**2)), float(-np.sum(nonzero * np.log2(nonzero)))


def lecture_features(image: np.ndarray, recipe: LectureRecipe = LectureRecipe()) -> np.ndarray:
    """The nine lecture features of one uint8 ``(32, 32, 3)`` RGB image, in ``recipe.NAMES`` order."""
    gray = grayscale(image)
    lbp = local_binary_pattern(gray, recipe.lbp_points, recipe.lbp_radius, "uniform")
    glcm = graycomatrix(
        gray,
        [recipe.glcm_distance],
        [np.deg2rad(recipe.glcm_angle_deg)],
        levels=256,
        symmetric=True,
        normed=True,
    )
    real, imag = gabor(gray, frequency=recipe.gabor_frequency)  # uint8 in, uint8 out
    gabor_energy = (real**2 + imag**2) // 2  # uint8 arithmetic, exactly as the notebook
    return np.array(
        [
            *energy_entropy(lbp, recipe.bins),
            *(graycoprops(glcm, prop)[0, 0] for prop in GLCM_PROPS),
            *energy_entropy(gabor_energy, recipe.bins),
        ]
    )


def extended_features(image: np.ndarray, recipe: ExtendedRecipe = ExtendedRecipe()) -> np.ndarray:
    """The extended set of one uint8 RGB image with scikit-image, in ``recipe.names()`` order."""
    gray = grayscale(image)
    out: list[float] = []
    if "lbp" in recipe.groups:
        for points, radius in recipe.lbp_scales:
            codes = local_binary_pattern(gray, points, radius, "uniform")
            out += list(np.histogram(codes, bins=points + 2, range=(0, points + 2))[0] / codes.size)
    if "glcm" in recipe.groups:
        angles = np.deg2rad(recipe.glcm_angles_deg)
        glcm = graycomatrix(gray, recipe.glcm_distances, angles, levels=256, symmetric=True, normed=True)
        props = {prop: graycoprops(glcm, prop) for prop in GLCM_PROPS}
        for d in range(len(recipe.glcm_distances)):
            for a in range(len(angles)):
                out += [props[prop][d, a] for prop in GLCM_PROPS]
    if "gabor" in recipe.groups:
        intensity = gray / 255.0
        for frequency in recipe.gabor_frequencies:
            for angle in recipe.gabor_orientations_deg:
                real, imag = gabor(intensity, frequency=frequency, theta=np.deg2rad(angle))
                magnitude = np.hypot(real, imag)
                out += [magnitude.mean(), magnitude.std()]
    if "color" in recipe.groups:
        rgb = image / 255.0
        for channel in range(3):
            out += [rgb[..., channel].mean(), rgb[..., channel].std()]
    if "palette" in recipe.groups:
        levels = recipe.palette_levels
        hist, _ = np.histogramdd(image.reshape(-1, 3), bins=levels, range=[(0, 256)] * 3)
        out += list(hist.ravel() / (image.shape[0] * image.shape[1]))
    return np.array(out)


def extract(images: np.ndarray, recipe: LectureRecipe | ExtendedRecipe = LectureRecipe()) -> np.ndarray:
    """``(N, F)`` float64 features of uint8 ``(N, H, W, 3)`` images, one image at a time."""
    one = lecture_features if isinstance(recipe, LectureRecipe) else extended_features
    return np.stack([one(image, recipe) for image in images])
