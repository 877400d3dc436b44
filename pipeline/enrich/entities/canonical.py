"""Which forms of a name in one article are one entity.

A reader takes "U.S.", "US", "United States" and "United States of America" in one
article for one place, and "UN" for the "United Nations" the article names. So:

- dots in an abbreviation do not matter ("U.S." is "US");
- the country names, official names and common names of ISO 3166 (pycountry, a
  well-kept list) are one country ("Czech Republic" and "Czechia", "South Korea" and
  "Republic of Korea");
- an acronym joins the one name of the article whose initials it spells ("UN", "United
  Nations"; "GAO", "Government Accountability Office"; "US", "United States").

Only forms the article uses are ever a ``name`` or an alias; nothing is invented.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["acronym", "identity", "initials"]

_DOTTED = re.compile(r"^(?:[A-Za-z]\.){2,}$|^(?:[A-Za-z]\.)+[A-Za-z]$")
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
# Words an acronym skips: "Securities and Exchange Commission" is SEC.
_SKIPPED = frozenset({"of", "and", "for", "the", "&", "on", "in", "de"})


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _undotted(text: str) -> str:
    return text.replace(".", "") if _DOTTED.match(text) else text


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Country name, official name or common name (case-folded) -> ISO alpha-3 code."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:  # "Korea, Republic of" is a sorting form
                names[_key(value)] = country.alpha_3
    return names


@lru_cache(maxsize=4096)
def identity(label: str, text: str) -> str:
    """What mentions of one entity share: the text without case, spacing or dots in
    abbreviations, and for places, the country it names."""
    key = _key(_undotted(text))
    if label == "LOCATION":
        code = _countries().get(key)
        if code is not None:
            return f"country:{code}"
    return key


@lru_cache(maxsize=4096)
def acronym(text: str) -> str | None:
    """The letters of an acronym ("UN", "U.S." -> "US"); None for any other form."""
    bare = _undotted(text)
    return bare if _ACRONYM.match(bare) else None


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """The initials of a name's capitalised words ("United Nations" -> "UN"; an
    abbreviation gives all its letters: "U.S. Air Force" -> "USAF"); "" for a one-word
    name, which no acronym abbreviates."""
    words = [w for w in text.replace("-", " ").split() if w.lower() not in _SKIPPED]
    if len(words) < 2 or not all(w[:1].isupper() for w in words):
        return ""
    return "".join(acronym(w) or w[0] for w in words)
