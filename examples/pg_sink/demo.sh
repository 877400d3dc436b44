#!/usr/bin/env bash
# One command: replay seeds/ through the pipeline (pipeline demo), store what landed in
# PostgreSQL with the sink, and ask for an entity's articles.
#   examples/pg_sink/demo.sh [NAME]        (default NAME: Netanyahu)
# Redis: PIPELINE_REDIS_URL when one answers there, else a throw-away local one.
# PostgreSQL: PIPELINE_SINK_DSN (default postgresql://127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:-Netanyahu}
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet -e '.[sink]'
if ! .venv/bin/pipeline --log-level ERROR health >/dev/null 2>&1; then
  port=$(.venv/bin/python -c 'from pipeline.ops.localredis import free_port; print(free_port())')
  .venv/bin/pipeline --log-level WARNING local-redis --port "$port" >/dev/null &
  redis_pid=$!
  trap 'kill "$redis_pid"' EXIT
  export PIPELINE_REDIS_URL="redis://127.0.0.1:$port/0"
  until .venv/bin/pipeline --log-level ERROR health >/dev/null 2>&1; do sleep 0.2; done
fi
.venv/bin/pipeline --log-level WARNING demo seeds --show 1
.venv/bin/python -m examples.pg_sink --until-idle 2
.venv/bin/python -m examples.pg_sink query "$name"
