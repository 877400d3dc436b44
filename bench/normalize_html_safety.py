"""Does anything executable survive HTML clean-up? Checked on feedparser's test feeds.

    python bench/normalize_html_safety.py PATH/TO/feedparser_tests

Parses every feed fixture under PATH with feedparser's own sanitiser switched off, runs
every title, summary and content value through ``clean_text`` and counts outputs that still
hold a script or style tag, an event-handler attribute, a ``javascript:`` URL or a CSS
``expression(``. Escaped markup meant as visible text ("the &lt;blink&gt; tag") is text,
not a leak, and is not counted.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import feedparser

from pipeline.normalize.text import clean_text

_EXECUTABLE = re.compile(
    r"<\s*/?\s*(?:script|style|iframe|object|embed|applet)\b|javascript:|\bon[a-z]+\s*=|"
    r"expression\s*\(",
    re.IGNORECASE,
)


def _strings(parsed: Any) -> Iterator[str]:
    for record in [parsed.feed, *parsed.entries]:
        for key in ("title", "subtitle", "summary", "description"):
            value = record.get(key)
            if isinstance(value, str) and value:
                yield value
        for content in record.get("content", []):
            if content.get("value"):
                yield content["value"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the check and print its counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    files = sorted(args.path.rglob("*.xml"))
    checked = risky_inputs = leaks = 0
    for file in files:
        parsed = feedparser.parse(str(file), sanitize_html=False, resolve_relative_uris=False)
        for value in _strings(parsed):
            checked += 1
            risky_inputs += bool(_EXECUTABLE.search(value))
            if _EXECUTABLE.search(clean_text(value)):
                leaks += 1
                print(f"LEAK {file.relative_to(args.path)}: {value[:100]!r}")
    print(
        f"html safety: {len(files)} feeds, {checked} strings, {risky_inputs} with executable "
        f"markup in the input, {leaks} with executable markup left after clean_text"
    )


if __name__ == "__main__":
    main()
