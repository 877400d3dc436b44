"""Mistakes a new user makes on the command line: exit 2 and one line saying what to do."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# nothing answers here: a usage error must be found before any connection is tried
NO_REDIS = "redis://127.0.0.1:1/0"


def _run(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *argv],
        env={**os.environ, "PIPELINE_REDIS_URL": NO_REDIS, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "env", "says"),
    [
        (["tail", "-n", "0"], {}, "0 is not in the range x>=1"),
        (["dead", "list", "-n", "-3"], {}, "-3 is not in the range x>=1"),
        (["dead", "retry", "notanid"], {}, "use the ids `pipeline dead list` prints"),
        (["health"], {"PIPELINE_REDIS_URL": "foo"}, "PIPELINE_REDIS_URL: not a Redis URL: use"),
        (["health"], {"PIPELINE_BATCH_SIZE": "0"}, "PIPELINE_BATCH_SIZE: Input should be"),
    ],
)
def test_a_usage_mistake_exits_2_with_one_error_line(
    argv: list[str], env: dict[str, str], says: str
) -> None:
    """No traceback, exit 2, and a single ``Error:`` line naming the fix."""
    done = _run(*argv, **env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0], done.stderr
