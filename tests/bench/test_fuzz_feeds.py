"""bench/fuzz_feeds.py as CI runs it: a small count over the repository's feed fixtures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import RESOURCES

REPO = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(r"^fuzz: (\d+) feeds, (\d+) escaped, worst (\d+) ms, peak (\d+) MB$")


def fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(REPO / "bench" / "fuzz_feeds.py")]
    command += ["--dir", str(RESOURCES / "feeds"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


def test_fuzzed_feeds_escape_nothing_and_stay_within_the_limits() -> None:
    """200 mutated feeds: the last line has the documented shape, nothing escaped, every
    feed parsed in at most 2 s, and the parsing processes stayed under 1 GiB."""
    run = fuzz("--count", "200", "--seed", "3")
    last = run.stdout.strip().splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, f"last line {last!r}\n{run.stderr[-2000:]}"
    feeds, escaped, worst_ms, peak_mb = map(int, match.groups())
    assert (feeds, escaped) == (200, 0), run.stdout
    assert worst_ms <= 2000 and peak_mb <= 1024, run.stdout
    assert run.returncode == 0, run.stdout
    assert "fuzz: 200/200 feeds" in run.stderr  # progress goes to stderr


def test_the_same_seed_gives_the_same_mutants_whatever_the_worker_count() -> None:
    """Mutant i depends on the seed and i only: equal digests with 1 and 2 workers, and
    another seed gives other feeds."""

    def digest(*args: str) -> str:
        run = fuzz("--count", "40", *args)
        return next(line for line in run.stdout.splitlines() if line.startswith("digest: "))

    first = digest("--seed", "5", "--workers", "1")
    assert digest("--seed", "5", "--workers", "2") == first
    assert digest("--seed", "6", "--workers", "1") != first
