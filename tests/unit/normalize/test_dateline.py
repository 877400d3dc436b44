"""Datelines: wire-style openings taken out; ordinary sentence starts left alone."""

from __future__ import annotations

import pytest

from pipeline.normalize.dateline import split_dateline


@pytest.mark.parametrize(
    ("text", "place", "rest"),
    [
        ("JERUSALEM: Israeli Prime Minister", "JERUSALEM", "Israeli Prime Minister"),
        ("WASHINGTON (Reuters) - The U.S. Senate", "WASHINGTON", "The U.S. Senate"),
        ("LONDON, Dec 1 (AP) — Britain said", "LONDON", "Britain said"),
        ("PARIS — France said", "PARIS", "France said"),
        ("NEW YORK, N.Y.: Stocks rose", "NEW YORK", "Stocks rose"),
        ("GAZA CITY, Gaza Strip (AP) — Israeli strikes", "GAZA CITY", "Israeli strikes"),
        ("ST. LOUIS — A jury", "ST. LOUIS", "A jury"),
        ("PORT-AU-PRINCE, Haiti — Gangs", "PORT-AU-PRINCE", "Gangs"),
        ("KYIV/MOSCOW, Dec 1 (Reuters) - Russia", "KYIV/MOSCOW", "Russia"),
        ("BEIJING, Dec. 1 (Xinhua) -- China", "BEIJING", "China"),
        ("SÃO PAULO: Brazil's", "SÃO PAULO", "Brazil's"),
        ("N'DJAMENA (AFP) - Chad", "N'DJAMENA", "Chad"),
        ("LONDON (dpa-AFX) - Shares", "LONDON", "Shares"),
        ("Washington (CNN) — The White House", "Washington", "The White House"),
        ("Berlin (dpa) - Die Regierung", "Berlin", "Die Regierung"),
        ("New Delhi [India], Dec 1 (ANI): The government", "New Delhi", "The government"),
        ("New Delhi, Dec 1 (PTI) The government", "New Delhi", "The government"),
        ("MUMBAI, Dec 1 (IANS) “We will”", "MUMBAI", "“We will”"),
    ],
)
def test_datelines_are_split_off(text: str, place: str, rest: str) -> None:
    """Upper-case places with a colon or dash, or any place with an agency and a dash."""
    assert split_dateline(text) == (place, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Netanyahu said: we will not stop.",
        "He said: no.",
        "Israeli Prime Minister Benjamin Netanyahu sent a delegation",
        "BREAKING: Markets fall",
        "UPDATE 1-Oil prices rise",
        "EXCLUSIVE: Inside the talks",
        "NASA: launch delayed",
        "US: new rules",
        "AI - the next frontier",
        "COVID-19: cases rise",
        "Washington - The capital",
        "PARIS-based firms - said",
        "Hamas (the group) - said",
        "The NATO summit - in Vilnius",
        "WASHINGTON, said the official - no",
        "JERUSALEM:Israeli",
        "JERUSALEM",
        "Biden (D) said on Monday",
        "Smith (Reuters) said on Monday",
        "New Delhi (ANI) the government",
        "New Delhi (PTI)",
        "Modi (ANI): the talks",
        "Officials (pictured): The talks",
    ],
)
def test_ordinary_openings_are_not_datelines(text: str) -> None:
    """Sentence starts, labels, acronyms and hyphenated words are not taken as places."""
    assert split_dateline(text) == (None, text)


def test_only_the_opening_is_considered() -> None:
    """A dateline-like phrase later in the text stays where it is."""
    text = "Officials said so.\n\nLONDON: more"
    assert split_dateline(text) == (None, text)
