#!/usr/bin/env bash
# Create .venv (Python 3.11 where there is one), install the exact versions of requirements.lock and
# this package (editable, so `import pipeline` works from anywhere in the venv), then check that the
# lock satisfies the package's own ranges. Idempotent: a no-op when done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  .venv/bin/python -m pip check
  echo "$want" > "$stamp"
fi
