"""Wire-style datelines ("JERUSALEM:", "WASHINGTON (Reuters) -") split from the text."""

from __future__ import annotations

import re

__all__ = ["split_dateline"]

_DATELINE = re.compile(
    r"""
    (?P<place>[^\W\d_][^\W\d_'’.-]*\.?(?:(?:\ |-|/|'|’|\.\ ?)[^\W\d_]+\.?){0,5})  # NEW YORK
    (?:\ ?\[[^\W\d_][^\[\]\n]{0,29}\])?                       # [India]
    (?P<qualifiers>(?:,\ ?[^\W_][^,:;()\n—–]{0,29}){0,3})    # , N.Y.  , Dec 1  , Gaza Strip
    \ ?(?:\((?P<agency>[^\W\d_][^()\n]{1,29})\)\ ?)?          # (Reuters)
    (?P<separator>:|[-–—]{1,2}|--)?
    (?:\s+|\Z)
    """,
    re.VERBOSE,
)
# Capitalised words that open stories but are not places.
_NOT_PLACES_WORDS = """
    BREAKING UPDATE UPDATED EXCLUSIVE WATCH LIVE ANALYSIS OPINION EDITORIAL COMMENT
    COMMENTARY FACTBOX FACT-CHECK EXPLAINER CORRECTION CORRECTED REFILE URGENT FLASH ALERT
    PHOTOS PHOTO VIDEO NOTE REVIEW INTERVIEW SPONSORED ADVERTISEMENT LISTEN READ WARNING
    NEW SPOILER PREVIEW RECAP TIMELINE QUOTES INSIGHT FEATURE PROFILE OBITUARY BY
    AFP REUTERS XINHUA UPI DPA ANSA EFE IANS PTI TASS KYODO YONHAP AP
    NATO NASA FBI CIA WHO USA IMF OPEC FIFA UEFA IOC UNICEF UNESCO BBC CNN CEO
"""
_NOT_PLACES = frozenset(_NOT_PLACES_WORDS.split())
# News agencies whose credit may end a dateline with a colon or no separator at all, as
# South Asian wires write them: "New Delhi [India], Dec 1 (ANI): ...", "... (PTI) The ...".
_AGENCIES_WORDS = """
    reuters ap afp ani pti ians uni dpa dpa-afx xinhua upi cnn bloomberg efe ansa kyodo
    yonhap tass ria interfax anadolu aa irna wafa spa wam kuna mena bernama antara pna app
    bss nan lusa belga apa ats ctk pap mti bta tanjug sputnik ukrinform cna
"""
_AGENCIES = frozenset(_AGENCIES_WORDS.split())
_MAX_PLACE_CHARS = 40
# A dateline fits well within this many characters; matching only this far keeps a
# 10 MB single-paragraph item from costing the regex engine a pass over all of it.
_HEAD_CHARS = 200


def _is_title_case(place: str) -> bool:
    return all(word[:1].isupper() for word in re.split(r"[ /-]", place) if word)


def _agency_ok(agency: str | None) -> bool:
    # "(Reuters)", "(AP)", "(dpa-AFX)"; not "(the group)" or "(pictured)".
    return agency is None or (
        len(agency.split()) <= 3 and (agency[0].isupper() or agency.startswith("dpa"))
    )


def _qualifiers_ok(qualifiers: str) -> bool:
    # Each must look like a place or a date: "N.Y.", "Calif.", "Gaza Strip", "Dec 1".
    for qualifier in qualifiers.split(","):
        words = qualifier.split()
        if qualifier and not (words and all(w[:1].isupper() or w[:1].isdigit() for w in words)):
            return False
    return True


def _opens_sentence(text: str) -> bool:
    return text[:1].isupper() or text[:1].isdigit() or text[:1] in ('"', "“", "‘", "'")


def split_dateline(text: str) -> tuple[str | None, str]:
    """``(place, rest)`` when ``text`` opens with a dateline, else ``(None, text)``.

    Upper-case places ("PARIS —", "NEW YORK, N.Y.:") need only a colon or dash; a
    title-case place needs an agency and a dash ("Washington (CNN) —"), or a known agency
    and a colon or nothing ("New Delhi, Dec 1 (PTI) The ..."), so ordinary openings such as
    "Netanyahu said: ..." are left alone.
    """
    head = text[:_HEAD_CHARS]
    match = _DATELINE.match(head)
    if match is None or (match.end() == len(head) < len(text)):
        return None, text
    place = match["place"]
    letters = sum(c.isalpha() for c in place)
    if letters < 3 or len(place) > _MAX_PLACE_CHARS or place.upper() in _NOT_PLACES:
        return None, text
    separator, agency = match["separator"], match["agency"]
    if not _qualifiers_ok(match["qualifiers"]) or not _agency_ok(agency):
        return None, text
    known_agency = agency is not None and agency.lower() in _AGENCIES
    if separator is None or (separator == ":" and not place.isupper()):
        # No separator, or a colon after a title-case place: only with a known agency,
        # and only before the start of a sentence.
        if not (known_agency and _opens_sentence(text[match.end() :])):
            return None, text
    elif place.isupper():
        # A bare "PARIS — ..." needs the space before the dash: "PARIS-based" has none.
        bare_dash = separator != ":" and not match["qualifiers"] and not agency
        if bare_dash and not text[match.start("separator") - 1].isspace():
            return None, text
    elif not agency:  # "Washington (CNN) —" yes; "Washington - The capital" no
        return None, text
    if not place.isupper() and not _is_title_case(place):
        return None, text
    rest = text[match.end() :]
    return place.rstrip("."), rest
