"""The seed-format header: what counts as one and what the body keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.fetch.files.seed import SeedParts, parse_seed

RESOURCES = Path(__file__).parents[2] / "resources" / "replay"


def test_real_seed_file_splits_into_date_and_body_with_dateline() -> None:
    """The shipped seed (leading space, header and dateline on one line) parses."""
    text = (RESOURCES / "seed.txt").read_text(encoding="utf-8")
    assert text.startswith(" date ")
    parts = parse_seed(text)
    assert parts is not None
    assert parts.published == "2025-12-01"
    assert parts.body.startswith("JERUSALEM: Israeli Prime Minister Benjamin Netanyahu")
    assert "\n\nNetanyahu held a meeting" in parts.body


def test_header_on_its_own_line() -> None:
    """A header followed by a newline: the body starts on the next line."""
    assert parse_seed("date 2025-12-02\nGAZA CITY: Talks resumed.\n") == SeedParts(
        "2025-12-02", "GAZA CITY: Talks resumed.\n"
    )


def test_leading_blank_lines_and_tabs_before_header() -> None:
    """Whitespace (blank lines included) before the header is allowed."""
    assert parse_seed("\n\n\t date\t2024-02-29  Body.") == SeedParts("2024-02-29", "Body.")


def test_header_without_body_gives_empty_body() -> None:
    """A header alone parses; the reader decides that an empty body is a reject."""
    assert parse_seed("date 2025-12-01") == SeedParts("2025-12-01", "")


@pytest.mark.parametrize(
    "text",
    [
        "Talks resume in Doha\n\ndate 2025-12-01 is when they began.",
        "date: 2025-12-01 Body",
        "dated 2025-12-01 Body",
        "Date 2025-12-01 Body",
        "date 2025-12-011 Body",
        "date 2025-1-01 Body",
        "date 01-12-2025 Body",
        "update 2025-12-01 Body",
        "",
    ],
)
def test_not_a_seed_header(text: str) -> None:
    """Anything but `date YYYY-MM-DD` at the start is a plain text file."""
    assert parse_seed(text) is None
