#!/usr/bin/env bash
# The test command: install the locked dependencies (hash-checked) and the project into
# .venv, then run the linter, the formatter check, strict type checks, the import rules and
# the whole test suite on the redis-server on PATH, then the Redis tests again on the bundled
# Redis 6.2 (the oldest supported). Extra arguments go to pytest (e.g. scripts/check.sh -k replay).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --require-hashes -r requirements/lock-dev.txt
.venv/bin/python -m pip install --quiet --no-deps -e .
# one command per line: under set -e a failure inside an && list does not stop the script
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import rules"
.venv/bin/lint-imports --no-cache
# the monitoring tests run Debian's Prometheus, unpacked once into ~/.cache (never installed)
export PIPELINE_TEST_PROMETHEUS_DIR=${PIPELINE_TEST_PROMETHEUS_DIR:-$(bash scripts/prometheus-for-tests.sh)}
echo "== pytest (redis-server on PATH)"
PIPELINE_TEST_REDIS=path .venv/bin/python -m pytest "$@"
echo "== pytest, the Redis tests on the bundled Redis 6.2"
status=0
PIPELINE_TEST_REDIS=bundled .venv/bin/python -m pytest -m "redis and not redis7" "$@" || status=$?
# 5: the arguments selected no Redis test (e.g. scripts/check.sh tests/unit)
[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || exit "$status"
