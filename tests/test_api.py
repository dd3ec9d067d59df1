"""The Python API: ``import pipeline``, ``extract`` and ``load_model(...).predict`` on users' images."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import pipeline
from pipeline.common.errors import PipelineError
from pipeline.learning import checkpoint
from pipeline.learning.params import TrainParams
from pipeline.learning.scaling import Scaler
from pipeline.learning.training import Split, fit
from tests.helpers import REPO, photo_crops

RECIPE = pipeline.Recipe.default("lecture")
SETTINGS = {"set": "lecture", "settings": {"bins": 5, "gabor": {"frequency": 0.3}}}  # not the defaults


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small model on photo crops' features of a non-default recipe, saved as the train stage does."""
    recipe = pipeline.Recipe.from_dict(SETTINGS)
    images = photo_crops(40)
    labels = np.arange(40) % 10
    x = pipeline.extract(images, recipe)
    params = TrainParams(epochs=3, val_fraction=0.0, hidden=[8])
    scaler = Scaler.fit(params.normalize, x)
    model = fit(
        params, Split(torch.from_numpy(scaler.transform(x)), torch.from_numpy(labels)), num_classes=10
    ).model
    path = tmp_path_factory.mktemp("model") / "model.pt"
    checkpoint.save(
        path, checkpoint.Checkpoint(model, scaler, params, list(recipe.names()), recipe.to_dict())
    )
    return path


def test_predict_applies_the_recipe_and_scaling_stored_in_the_model(model_file: Path) -> None:
    model = pipeline.load_model(model_file)
    assert model.recipe == pipeline.Recipe.from_dict(SETTINGS) != RECIPE
    images = photo_crops(6)
    saved = checkpoint.load(model_file, 10)
    x = torch.from_numpy(saved.scaler.transform(pipeline.extract(images, model.recipe)))
    expected = torch.softmax(saved.model(x), 1).detach().numpy()
    np.testing.assert_allclose(model.predict_proba(images), expected, rtol=1e-6)
    assert model.predict(images) == [model.classes[i] for i in expected.argmax(1)]


def test_single_grayscale_float_and_pil_images_work(model_file: Path) -> None:
    model = pipeline.load_model(model_file)
    image = photo_crops(1)[0]
    one = model.predict_proba(image)
    assert one.shape == (1, 10)
    np.testing.assert_allclose(model.predict_proba(image / 255.0), one, rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(Image.fromarray(image)), one, rtol=1e-6)
    gray = image[..., 0]
    np.testing.assert_allclose(
        model.predict_proba(gray), model.predict_proba(np.stack([gray] * 3, -1)), rtol=1e-6
    )
    assert model.predict_proba(np.stack([gray, gray])).shape == (2, 10)


def test_other_sizes_are_resized_with_a_warning(model_file: Path) -> None:
    model = pipeline.load_model(model_file)
    big = np.asarray(Image.fromarray(photo_crops(1)[0]).resize((96, 64)))
    with pytest.warns(UserWarning, match="resizing 96×64 images to 32×32"):
        assert model.predict_proba(big).shape == (1, 10)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.full((32, 32, 3), 2.0), r"float images must hold values in \[0, 1\]"),
        (np.full((32, 32, 3), 300, np.int32), "integer images must hold values in 0..255"),
        (np.zeros((2, 3, 32, 32, 3), np.uint8), "expected images shaped"),
        (np.zeros((32, 32, 3), bool), "images must be uint8"),
        (np.full((32, 32, 3), 300, np.int32), "pass 16-bit pixels \\(0..65535\\) as uint16"),
        ([photo_crops(1)[0], np.zeros((2, 3, 32, 32, 3), np.uint8)], "expected images shaped"),
    ],
)
def test_unusable_images_get_one_line_errors(model_file: Path, images: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pipeline.load_model(model_file).predict(images)


def test_channel_first_16_bit_mixed_and_tiny_images(model_file: Path) -> None:
    model = pipeline.load_model(model_file)
    images = photo_crops(3)
    expected = model.predict_proba(images)
    np.testing.assert_allclose(model.predict_proba(images[0].transpose(2, 0, 1)), expected[:1], rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(images.transpose(0, 3, 1, 2)), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(images.astype(np.uint16) * 257), expected, rtol=1e-6)
    mixed = [Image.fromarray(images[0]), images[1], images[2] / 255.0]
    np.testing.assert_allclose(model.predict_proba(mixed), expected, rtol=1e-6)
    gray16 = Image.fromarray(images[0, ..., 0].astype(np.uint16) * 257)
    assert gray16.mode == "I;16"  # convert("RGB") would clip it to white
    np.testing.assert_allclose(model.predict_proba(gray16), model.predict_proba(images[0, ..., 0]), rtol=1e-6)
    three_gray = np.stack([images[0, ..., 0]] * 3)[..., None]  # (3, H, W, 1): three grayscale images
    assert model.predict_proba(three_gray).shape == (3, 10)
    with pytest.warns(UserWarning, match="resizing 1×1 images to 32×32"):
        one_pixel = model.predict_proba(np.full((1, 1, 3), 90, np.uint8))
    assert one_pixel.shape == (1, 10) and np.isfinite(one_pixel).all()


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("tpu", "unknown device 'tpu'; set device to auto, cpu, cuda, cuda:N or mps"),
        ("cuda:x", "unknown device 'cuda:x'"),
        pytest.param(
            "cuda:7",
            "cuda:7 was asked for but this machine has",
            marks=pytest.mark.skipif(torch.cuda.device_count() > 7, reason="this machine has a cuda:7"),
        ),
    ],
)
def test_an_unknown_or_absent_device_is_a_value_error(model_file: Path, device: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        pipeline.load_model(model_file, device=device)
    assert str(err.value).startswith("load_model: device: ") and "\n" not in str(err.value)


def test_a_model_whose_features_this_code_no_longer_makes_is_refused(
    model_file: Path, tmp_path: Path
) -> None:
    payload = torch.load(model_file, weights_only=True)
    payload["feature_names"] = ["renamed"] * 9
    torch.save(payload, tmp_path / "model.pt")
    with pytest.raises(PipelineError, match="no longer produces the same way"):
        pipeline.load_model(tmp_path / "model.pt")


class Exploit:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch pwned",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch notes the foreign pickle first
def test_a_poisoned_or_missing_model_file_is_a_one_line_error(tmp_path: Path) -> None:
    poisoned = tmp_path / "model.pt"
    poisoned.write_bytes(pickle.dumps({"state_dict": Exploit()}))
    for path in (poisoned, tmp_path / "absent.pt"):
        with pytest.raises(PipelineError, match=r"model\.pt|absent\.pt") as err:
            pipeline.load_model(path)
        assert "\n" not in str(err.value)
    assert not (Path.cwd() / "pwned").exists()


def test_importing_the_package_is_lazy_and_works_from_anywhere(tmp_path: Path) -> None:
    """``import pipeline`` loads nothing heavy; the API is imported on first use."""
    code = (
        "import sys, pipeline; assert 'torch' not in sys.modules; print(pipeline.Recipe.default().names()[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # what an install puts on the path
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "lbp_energy", out.stderr
