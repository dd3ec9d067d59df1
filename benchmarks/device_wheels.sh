#!/usr/bin/env bash
# Download, into .whl/, the wheels that a bare PyTorch machine (Python 3.12, torch, numpy, scipy,
# scikit-image, numba, pandas, pytest and friends, no registry) lacks for benchmarks/device_check.py:
# the versions of requirements.lock, without their dependencies (the machine has the rest). Then
#   pip install --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
# there, and run `python benchmarks/device_check.py`. PYTHON_VERSION picks another target Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON_VERSION=${PYTHON_VERSION:-3.12}
# Imported by the pipeline (pydantic, ruamel.yaml), by DVCLive (the stages' tracking) and the tests (kymatio).
NAMES="pydantic pydantic_core annotated-types typing-inspection ruamel.yaml dvclive dvc dvc-render
dvc-studio-client flatten-dict funcy voluptuous wcwidth kymatio appdirs configparser"
pins=()
for name in $NAMES; do
  pin=$(grep -i "^${name//[-_.]/[-_.]}==" requirements.lock) || { echo "error: $name is not in requirements.lock" >&2; exit 2; }
  pins+=("$pin")
done
mkdir -p .whl
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 any; do platforms+=(--platform "$tag"); done
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$PYTHON_VERSION" \
  --implementation cp "${platforms[@]}" -d .whl "${pins[@]}"
du -sh .whl
