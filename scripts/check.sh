#!/usr/bin/env bash
# The test command: install the project and its test tools into .venv, then run the
# linter, the formatter check, strict type checks, the import rules and the whole test suite.
# Extra arguments go to pytest (e.g. scripts/check.sh -k replay).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
echo "== ruff" && .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
echo "== import rules" && .venv/bin/lint-imports --no-cache
echo "== pytest" && .venv/bin/python -m pytest "$@"
