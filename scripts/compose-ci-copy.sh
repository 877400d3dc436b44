#!/usr/bin/env bash
# The production docker-compose.yml as scripts/compose-test.sh runs it, on stdout: without
# its top-level `name:` (compose v1 cannot read it) and without `ports:` (on the host
# network Docker refuses published ports; each service listens on 127.0.0.1 itself).
# Nothing else changes; tests/unit/test_deployment.py renders this copy too.
set -euo pipefail
awk '
    /^name:/ { next }
    /^    ports:/ { dropping = 1; next }
    dropping && /^      - / { next }
    { dropping = 0; print }
' "${1:-$(dirname "$0")/../docker-compose.yml}"
