"""The seed format: a text file whose first line starts with ``date YYYY-MM-DD``.

The rest of the file is the article as a wire service sends it: a dateline
(``JERUSALEM:``) and the first paragraph, then paragraphs separated by blank
lines. The dateline stays in the body: the normaliser takes it out.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["SeedParts", "parse_seed"]

# Leading whitespace may include blank lines: an editor or a copy-paste often adds them.
# The date must be followed by whitespace or the end, so "date 2025-12-011" is not a header.
_HEADER = re.compile(r"\A\s*date[ \t]+(\d{4}-\d{2}-\d{2})(?=\s|\Z)")


class SeedParts(NamedTuple):
    """A seed file split into its header date (as written) and its body."""

    published: str
    body: str


def parse_seed(text: str) -> SeedParts | None:
    """Split seed-format text into date and body; None when there is no seed header."""
    match = _HEADER.match(text)
    if match is None:
        return None
    # The body starts after the header on the same line (as in seeds/) or on the next one.
    return SeedParts(published=match.group(1), body=text[match.end() :].lstrip())
