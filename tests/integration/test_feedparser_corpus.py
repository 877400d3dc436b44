"""A sample of feedparser's own test feeds through the real fetch path (local server).

The feeds are not copied into the repository: they are read from ``shared/benchdata``
next to the clone (as in CI) or from /work/shared/benchdata; the test is skipped only
when neither exists. ``bench/feedparser_corpus.py`` runs the whole corpus.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.feedparser_corpus import corpus_files, run_corpus

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [
    REPO.parent / "shared" / "benchdata" / "feedparser_tests",
    Path("/work/shared/benchdata/feedparser_tests"),
]
CORPUS = next((path for path in CANDIDATES if path.is_dir()), None)


def sample(root: Path) -> list[Path]:
    """Every ill-formed, encoding and JSON feed, and every 8th of the rest."""
    files = corpus_files(root)
    special = [
        f for f in files if f.relative_to(root).parts[0] in ("illformed", "encoding", "json")
    ]
    rest = [f for f in files if f not in special]
    return special + rest[::8]


@pytest.mark.benchdata
@pytest.mark.skipif(CORPUS is None, reason="shared/benchdata/feedparser_tests not present")
def test_feedparser_corpus_sample_behaves_as_expected() -> None:
    """No exception escapes, malformed feeds are reported, well-formed ones give every entry,
    and no item carries script markup."""
    assert CORPUS is not None
    files = sample(CORPUS)
    assert len(files) > 100
    report = run_corpus(files, CORPUS)
    assert report.escaped == []
    assert report.mismatches == []
    assert report.entry_count_differs == []
    assert report.scripted == []
    outcomes = report.outcomes
    assert outcomes[("bozo", "refused")] + outcomes[("bozo", "warned")] >= 5
    assert outcomes[("bozo", "clean")] == 0
    assert outcomes[("not bozo", "clean")] > 50
    assert report.with_items > 10
