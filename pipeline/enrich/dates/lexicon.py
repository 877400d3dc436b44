"""The words of temporal expressions: names, numbers and units, with regex alternations."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "MONTHS",
    "NUMBER_WORDS",
    "ORDINALS",
    "PARTS_OF_DAY",
    "SEASONS",
    "UNITS",
    "WEEKDAYS",
    "alternation",
    "month_number",
    "parse_number",
    "parse_ordinal",
    "unit_of",
    "weekday_number",
]

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("january", "jan"),
        ("february", "feb"),
        ("march", "mar"),
        ("april", "apr"),
        ("may",),
        ("june", "jun"),
        ("july", "jul"),
        ("august", "aug"),
        ("september", "sept", "sep"),
        ("october", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("monday", "mon"),
        ("tuesday", "tue", "tues"),
        ("wednesday", "wed"),
        ("thursday", "thu", "thur", "thurs"),
        ("friday", "fri"),
        ("saturday", "sat"),
        ("sunday", "sun"),
    ],
    start=1,
):
    for _name in _names:
        WEEKDAYS[_name] = _number

SEASONS = {
    "spring": "SP",
    "summer": "SU",
    "fall": "FA",
    "autumn": "FA",
    "winter": "WI",
}

PARTS_OF_DAY = {
    "morning": "MO",
    "afternoon": "AF",
    "evening": "EV",
    "night": "NI",
    "overnight": "NI",
}

# Duration letter and whether it belongs after the ``T`` of an ISO 8601 duration.
UNITS: dict[str, tuple[str, bool, int]] = {
    "second": ("S", True, 1),
    "minute": ("M", True, 1),
    "hour": ("H", True, 1),
    "day": ("D", False, 1),
    "night": ("D", False, 1),
    "week": ("W", False, 1),
    "weekend": ("WE", False, 1),
    "fortnight": ("W", False, 2),
    "month": ("M", False, 1),
    "quarter": ("Q", False, 1),
    "year": ("Y", False, 1),
    "decade": ("Y", False, 10),
    "century": ("Y", False, 100),
    "centurie": ("Y", False, 100),
    "millennium": ("Y", False, 1000),
}

NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "dozen": 12,
    "couple": 2,
}

# Words for an unknown count: "several days" is PXD.
VAGUE_COUNTS = (
    "several",
    "a few",
    "few",
    "many",
    "some",
    "a number of",
)

ORDINALS: dict[str, int] = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "twenty-first": 21,
}

_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_TENS.update({"eighty": 80, "ninety": 90})


def alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest where several fit.

    Written as a trie ("t(?:wo|hree|en)" rather than "two|three|ten") because the regex
    engine tries alternatives one by one at every word of every text."""
    trie: dict[str, dict[str, object]] = {}
    for word in set(words):
        node = trie
        for char in word:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[""] = {}
    return _trie_regex(trie)


def _trie_regex(node: dict[str, dict[str, object]]) -> str:
    branches = [re.escape(c) + _trie_regex(child) for c, child in sorted(node.items()) if c]  # type: ignore[arg-type]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:  # a word ends here: the longer words are tried first, greedily
        return body + "?" if len(branches) == 1 and len(body) == 1 else "(?:" + body + ")?"
    return body


def month_number(word: str) -> int:
    """1-12 for a month name or abbreviation (with or without a full stop)."""
    return MONTHS[word.lower().rstrip(".")]


def weekday_number(word: str) -> int:
    """1 (Monday) to 7 (Sunday) for a weekday name, plural or abbreviated."""
    key = word.lower().rstrip(".")
    if key not in WEEKDAYS and key.endswith("s"):
        key = key[:-1]
    return WEEKDAYS[key]


def unit_of(word: str) -> str:
    """The singular unit key of ``word`` ("years" -> "year", "centuries" -> "century")."""
    key = word.lower().replace("-", "")
    if key == "centuries":
        return "century"
    if key == "millennia":
        return "millennium"
    return key[:-1] if key.endswith("s") and key[:-1] in UNITS else key


def parse_number(text: str) -> float | None:
    """A count written in digits or words ("24", "2 1/2", "twenty-four", "a"); None if vague."""
    words = [w for w in text.lower().replace("-", " ").replace(",", "").split() if w != "of"]
    if len(words) > 1 and words[0] in ("a", "an"):
        words = words[1:]  # "a hundred", "a couple"
    if not words:
        return None
    if len(words) == 2 and words[1] == "1/2" and words[0].isdigit():
        return int(words[0]) + 0.5
    if len(words) == 1:
        word = words[0]
        try:
            return float(word)
        except ValueError:
            pass
    total = 0.0
    current = 0.0
    for word in words:
        if word == "and":
            continue
        if word == "half":
            current += 0.5
            continue
        if word in ("hundred", "thousand"):
            current = max(current, 1) * NUMBER_WORDS[word]
            if word == "thousand":
                total, current = total + current, 0
            continue
        if word.isdigit():
            current += int(word)
            continue
        value = NUMBER_WORDS.get(word)
        if value is None:
            return None
        current += value
    return total + current


def parse_ordinal(text: str) -> int | None:
    """1 for "first" or "1st", and so on; None when not an ordinal."""
    key = text.lower()
    if key in ORDINALS:
        return ORDINALS[key]
    match = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", key)
    return int(match.group(1)) if match else None


def parse_year_words(text: str) -> int | None:
    """A year spelled out: "nineteen ninety-six" -> 1996, "two thousand" -> 2000."""
    words = text.lower().replace("-", " ").split()
    if (
        len(words) >= 2
        and words[0] in ("nineteen", "eighteen", "twenty")
        and words[1] != "thousand"
    ):
        century = NUMBER_WORDS[words[0]] * 100
        rest = parse_number(" ".join(words[1:]))
        return None if rest is None or rest >= 100 else century + int(rest)
    value = parse_number(text)
    return int(value) if value is not None and 1000 <= value <= 2100 else None
