"""Signatures: what a light edit keeps, what takes no part, and that they are stable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.similar import MIN_WORDS, NUM_PERM, estimate, sign, takes_part
from pipeline.similar.shingles import shingles, words

SEED = next((Path(__file__).parents[3] / "seeds").glob("*.txt"))
TEXT = SEED.read_text(encoding="utf-8").split(":", 1)[1].strip()


def test_words_ignore_case_quotes_and_punctuation() -> None:
    """Typography that copies normalise differently never reaches a shingle."""
    assert words("“Leave no stone unturned,” it SAID — again.") == words(
        '"leave no stone unturned," it said - again'
    )


def test_shingles_are_runs_of_three_words() -> None:
    assert shingles(["a", "b", "c", "d"]) == ["a b c", "b c d"]
    assert shingles(["a", "b"]) == ["a b"]


def test_a_signature_is_stable_across_processes() -> None:
    """Signatures stored in Redis by one worker must compare with another's."""
    here = sign(TEXT)
    assert here is not None and len(here.minhash) == 2 * NUM_PERM
    code = (
        "import sys; from pipeline.similar import sign; "
        f"sys.stdout.write(sign(open({str(SEED)!r}).read().split(':', 1)[1].strip()).minhash.hex())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout == here.minhash.hex()


def test_estimate_tracks_the_share_of_shared_shingles() -> None:
    """Half the text cut off: the estimate stays near the true Jaccard similarity."""
    half = " ".join(TEXT.split(" ")[: len(TEXT.split(" ")) // 2])
    a, b = sign(TEXT), sign(half)
    assert a is not None and b is not None
    x, y = set(shingles(words(TEXT))), set(shingles(words(half)))
    assert abs(estimate(a.minhash, b.minhash) - len(x & y) / len(x | y)) < 0.15
    assert estimate(a.minhash, a.minhash) == 1.0


def test_short_or_title_only_texts_take_no_part() -> None:
    assert sign(" ".join(words(TEXT)[: MIN_WORDS - 1])) is None
    assert sign(TEXT, text_source="title") is None
    assert sign(TEXT, text_source="summary") is None
    assert takes_part(MIN_WORDS) and not takes_part(MIN_WORDS - 1)
