"""Which device each stage gets, with the machine's accelerators faked (no CUDA or MPS needed)."""

import numpy as np
import pytest
import torch

from pipeline.common import devices
from pipeline.common.devices import Accelerators, choose_device, make_deterministic
from pipeline.common.errors import PipelineError
from pipeline.features import FEATURE_SETS, Recipe
from pipeline.features.extraction import feature_device

CPU_ONLY, MAC, ONE_GPU = (
    Accelerators(cuda=0, mps=False),
    Accelerators(cuda=0, mps=True),
    Accelerators(1, False),
)
FLOAT64 = "the lecture feature set"


@pytest.mark.parametrize(
    ("request_", "float64", "found", "expected"),
    [
        ("auto", None, CPU_ONLY, "cpu"),
        ("auto", FLOAT64, CPU_ONLY, "cpu"),
        ("auto", None, MAC, "mps"),  # float32 work (scattering, training) may use MPS
        ("auto", FLOAT64, MAC, "cpu"),  # float64 work never does
        ("auto", None, ONE_GPU, "cuda"),
        ("auto", FLOAT64, ONE_GPU, "cuda"),  # CUDA has float64
        ("cpu", FLOAT64, ONE_GPU, "cpu"),
        ("mps", None, MAC, "mps"),
        ("cuda", FLOAT64, ONE_GPU, "cuda"),
        ("cuda:0", None, ONE_GPU, "cuda:0"),
    ],
)
def test_decision_table(request_: str, float64: str | None, found: Accelerators, expected: str) -> None:
    assert choose_device(request_, "features.device", float64=float64, found=found)[0] == expected


def test_auto_says_why_it_skipped_mps() -> None:
    _, why = choose_device("auto", "features.device", float64=FLOAT64, found=MAC)
    assert (
        why == f"features.device: auto picked cpu: {FLOAT64} computes in float64, which MPS does not support"
    )


@pytest.mark.parametrize(
    ("request_", "float64", "found", "message"),
    [
        (
            "mps",
            FLOAT64,
            MAC,
            "features.device: mps cannot compute the lecture feature set, which needs float64",
        ),
        ("mps", None, CPU_ONLY, "features.device: mps was asked for but is not available here"),
        ("cuda", None, MAC, "features.device: cuda was asked for but this machine has 0 CUDA device(s)"),
        (
            "cuda:1",
            None,
            ONE_GPU,
            "features.device: cuda:1 was asked for but this machine has 1 CUDA device(s)",
        ),
        ("tpu", None, ONE_GPU, "features.device: unknown device 'tpu'"),
        ("cuda:x", None, ONE_GPU, "features.device: unknown device 'cuda:x'"),
    ],
)
def test_explicit_requests_never_fall_back(
    request_: str, float64: str | None, found: Accelerators, message: str
) -> None:
    with pytest.raises(PipelineError) as error:
        choose_device(request_, "features.device", float64=float64, found=found)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("name", sorted(FEATURE_SETS))
def test_float64_feature_sets_stay_off_mps(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(Accelerators, "found", classmethod(lambda cls: MAC))
    float64 = FEATURE_SETS[name].dtype == np.float64
    recipe = Recipe.default(name)
    assert feature_device("auto", recipe).type == ("cpu" if float64 else "mps")
    if float64:
        with pytest.raises(PipelineError, match=f"mps cannot compute the {name} feature set"):
            feature_device("mps", recipe)
    assert {FEATURE_SETS[n].dtype == np.float64 for n in ("lecture", "extended")} == {True}


def test_cuda_training_gets_deterministic_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    calls = []
    monkeypatch.setattr(
        torch, "use_deterministic_algorithms", lambda on, warn_only: calls.append((on, warn_only))
    )
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    make_deterministic(torch.device("cuda"))
    assert devices.os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    make_deterministic(torch.device("cpu"))
    assert calls == [(True, True), (True, False)]  # the CPU has a deterministic kernel for every op used
