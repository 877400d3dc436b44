"""Numbers next to names: a score in a results line, or part of the name.

Sports pages glue scores to names ("Somerset 83 and 174", "CHELSEA 2 ARSENAL 1", "b
Chandana 56"); in prose a number after a name belongs to it ("Terminal 3 of Changi",
"the S&P 500 fell", "Channel 4 News"). Only results lines, scorecard lines and score
forms ("2-1", "1996-08-30") make a number a score.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["NUMBERISH", "is_score", "results_line"]

NUMBERISH = re.compile(r"^[\d.,:/+-]*\d[\d.,:/+-]*$")
# A capitalised word and a number after it: "Somerset 83", "CHELSEA 2".
_NAME_NUMBER = re.compile(r"[A-Z][\w.'&-]*[ \t]+\d")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]{2,}\b")
# Scores, overs, ratios and ISO dates: never part of a name.
_SCORE_FORM = re.compile(r"^\d+(?:[-:/]\d+)+$")


def results_line(doc: Any, char: int) -> bool:
    """Whether the line around ``char`` reads as results: names paired with numbers at
    least twice, and hardly a lower-case word ("Somerset 83 and 174, Leicestershire 296",
    "CHELSEA 2 ARSENAL 1"). Prose does not, however many numbers it has ("the FTSE 100
    fell 20 points while the DAX 30 rose", "Terminal 3 of Changi")."""
    text = doc.text
    start = text.rfind("\n", 0, char) + 1
    end = text.find("\n", char)
    line = text[start : end if end >= 0 else len(text)]
    pairs = len(_NAME_NUMBER.findall(line))
    return pairs >= 2 and len(_LOWER_WORD.findall(line)) <= pairs


def _ends_line(token: Any) -> bool:
    """Whether only numbers and punctuation follow the token on its line ("b Chandana 56",
    "Newsroom +353 1 676 9779")."""
    for after in token.doc[token.i + 1 :]:
        if "\n" in after.text:
            return True
        if not (after.is_punct or NUMBERISH.match(after.text)):
            return False
        if "\n" in after.whitespace_:
            return True
    return True


def _glued_score(token: Any) -> bool:
    """'2-1' cut by the tokenizer into '2', '-', '1'."""
    doc, i = token.doc, token.i
    return (
        not token.whitespace_
        and i + 2 < len(doc)
        and doc[i + 1].text in ("-", ":")
        and not doc[i + 1].whitespace_
        and doc[i + 2].text.isdigit()
    )


def is_score(token: Any) -> bool:
    """A number after a name that is a score or a date, not part of the name: a score or
    date form ("2-1", "4-0-18-0", "1996-08-30"), or a plain number in a results line or
    ending a line of a table or scorecard. "Terminal 3 of Changi", "the S&P 500 fell"
    keep theirs."""
    if not NUMBERISH.match(token.text):
        return False
    if "\n" in token.whitespace_ or _SCORE_FORM.match(token.text) or _glued_score(token):
        return True
    return _ends_line(token) or results_line(token.doc, token.idx)
