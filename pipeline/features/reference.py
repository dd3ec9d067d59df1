"""Each feature set, one image at a time with scikit-image: the reference the batched code must match.

Kept deliberately literal (uint8 grayscale from PIL, scikit-image calls, ``np.histogram``) so that
``features.implementation: reference`` reproduces the notebook and the tests can compare against it.
"""

import numpy as np
from PIL import Image
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern
from skimage.filters import gabor

from pipeline.features.params import ExtendedParams, LectureParams
from pipeline.features.texture import GLCM_PROPS


def grayscale(image: np.ndarray) -> np.ndarray:
    """PIL's ``convert("L")`` of one uint8 RGB image, as the lecture does."""
    return np.array(Image.fromarray(image).convert("L"))


def energy_entropy(values: np.ndarray, bins: int) -> tuple[float, float]:
    """Energy Σp² and entropy −Σp·log2 p of ``np.histogram(values, bins)`` (empty bins add 0)."""
    hist, _ = np.histogram(values, bins)
    p = hist / hist.sum()
    nonzero = p[p > 0]
    return float(np.sum(p**2)), float(-np.sum(nonzero * np.log2(nonzero)))


def lecture_features(image: np.ndarray, settings: LectureParams) -> np.ndarray:
    """The nine lecture features of one uint8 ``(32, 32, 3)`` RGB image, in ``lecture.NAMES`` order."""
    gray = grayscale(image)
    lbp = local_binary_pattern(gray, settings.lbp.points, settings.lbp.radius, "uniform")
    glcm = graycomatrix(
        gray,
        [settings.glcm.distance],
        [np.deg2rad(settings.glcm.angle)],
        levels=256,
        symmetric=True,
        normed=True,
    )
    real, imag = gabor(gray, frequency=settings.gabor.frequency)  # uint8 in, uint8 out
    gabor_energy = (real**2 + imag**2) // 2  # uint8 arithmetic, exactly as the notebook
    return np.array(
        [
            *energy_entropy(lbp, settings.bins),
            *(graycoprops(glcm, prop)[0, 0] for prop in GLCM_PROPS),
            *energy_entropy(gabor_energy, settings.bins),
        ]
    )


# The extended set's groups, one function each: (RGB image, its PIL grayscale, settings) → numbers.


def lbp_histograms(image: np.ndarray, gray: np.ndarray, settings: ExtendedParams) -> list[float]:
    out: list[float] = []
    for scale in settings.lbp:
        codes = local_binary_pattern(gray, scale.points, scale.radius, "uniform")
        out += list(np.histogram(codes, bins=scale.points + 2, range=(0, scale.points + 2))[0] / codes.size)
    return out


def glcm_grid(image: np.ndarray, gray: np.ndarray, settings: ExtendedParams) -> list[float]:
    angles = np.deg2rad(settings.glcm_angles)
    glcm = graycomatrix(gray, settings.glcm_distances, angles, levels=256, symmetric=True, normed=True)
    props = {prop: graycoprops(glcm, prop) for prop in GLCM_PROPS}
    return [
        props[prop][d, a]
        for d in range(len(settings.glcm_distances))
        for a in range(len(angles))
        for prop in GLCM_PROPS
    ]


def gabor_bank(image: np.ndarray, gray: np.ndarray, settings: ExtendedParams) -> list[float]:
    intensity = gray / 255.0
    out: list[float] = []
    for frequency in settings.gabor_frequencies:
        for angle in settings.gabor_orientations:
            real, imag = gabor(intensity, frequency=frequency, theta=np.deg2rad(angle))
            magnitude = np.hypot(real, imag)
            out += [magnitude.mean(), magnitude.std()]
    return out


def color_moments(image: np.ndarray, gray: np.ndarray, settings: ExtendedParams) -> list[float]:
    rgb = image / 255.0
    return [stat for c in range(3) for stat in (rgb[..., c].mean(), rgb[..., c].std())]


def palette(image: np.ndarray, gray: np.ndarray, settings: ExtendedParams) -> list[float]:
    levels = settings.palette_levels
    hist, _ = np.histogramdd(image.reshape(-1, 3), bins=levels, range=[(0, 256)] * 3)
    return list(hist.ravel() / (image.shape[0] * image.shape[1]))
