#!/usr/bin/env bash
# The main job on a fresh machine: install into .venv, then replay seeds/ end to end
# (a local Redis is started when none answers at PIPELINE_REDIS_URL) and print what landed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/pipeline demo "${@:-seeds}"
