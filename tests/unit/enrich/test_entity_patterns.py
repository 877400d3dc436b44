"""Entity rules hold on general news: each test is a pattern a rule must (or must not) touch.

The model's spans are given by hand (a blank pipeline), so each test checks one rule on
one pattern, whatever the model would have guessed.
"""

from __future__ import annotations

from typing import Any

import pytest
import spacy
from spacy.tokens import Span

from pipeline.enrich.casing import recase_text
from pipeline.enrich.entities import ALL_RULES, extract_entities
from pipeline.enrich.entities.canonical import acronym, identity, initials
from pipeline.enrich.entities.mentions import clean_span, mentions_from_doc


def _doc(text: str, ents: list[tuple[int, int, str]]) -> Any:
    doc = spacy.blank("en")(text)
    doc.ents = [Span(doc, a, b, label=label) for a, b, label in ents]
    return doc


def _labels(doc: Any) -> dict[str, str]:
    return {e.name: e.label for e in extract_entities(doc)}


@pytest.mark.parametrize(
    ("text", "span", "label", "name"),
    [
        ("They opened Terminal 3 of Changi Airport .", (2, 4), "FAC", "Terminal 3"),
        (
            "The S&P 500 fell 20 points , or 1 percent , while the DAX rose",
            (1, 3),
            "ORG",
            "S&P 500",
        ),
        ("Channel 4 News reported the story", (0, 3), "ORG", "Channel 4 News"),
    ],
)
def test_numbers_in_names_in_prose_stay(
    text: str, span: tuple[int, int], label: str, name: str
) -> None:
    """A number is part of a name in a sentence; only results lines carry scores."""
    mention = clean_span(_doc(text, [(*span, label)]).ents[0])
    assert mention is not None and mention.text == name


@pytest.mark.parametrize(
    ("text", "span", "label", "names"),
    [
        ("Pohang 3 Ulsan 2 ( halftime 1-0 )", (0, 3), "ORG", ["Pohang", "Ulsan"]),
        ("M. Bevan c Vaas b Chandana 56\nS. Waugh b Jayasuriya 2", (5, 7), "PERSON", ["Chandana"]),
        ("Romania beat Lithuania 2-1 in Bucharest", (2, 4), "GPE", ["Lithuania"]),
        ("SARAJEVO 1996-08-30\nBosnia 's party ended its boycott .", (0, 2), "GPE", ["SARAJEVO"]),
    ],
)
def test_scores_and_dates_after_names_go(
    text: str, span: tuple[int, int], label: str, names: list[str]
) -> None:
    """Scores in results and scorecard lines, score forms and datelines' dates are no part
    of a name."""
    assert [m.text for m in mentions_from_doc(_doc(text, [(*span, label)]))] == names


def test_place_spans_keep_their_article_but_names_do_not() -> None:
    """'the United States': the span keeps the article the place name takes, the name does
    not; an organisation's article is left out ('the Federal Reserve')."""
    text = "They flew to the United States . the Federal Reserve met ."
    entities = {e.name: e for e in extract_entities(_doc(text, [(3, 6, "GPE"), (7, 10, "ORG")]))}
    assert set(entities) == {"United States", "Federal Reserve"}
    (a, b), (c, d) = entities["United States"].mentions[0], entities["Federal Reserve"].mentions[0]
    assert (text[a:b], text[c:d]) == ("the United States", "Federal Reserve")


def test_the_hague_keeps_its_capitalised_article() -> None:
    """'The' capitalised inside a sentence is part of the name."""
    doc = _doc("The court in The Hague ruled .", [(3, 5, "GPE")])
    assert [e.name for e in extract_entities(doc)] == ["The Hague"]


def test_a_possessive_place_after_a_comma_is_not_a_dateline() -> None:
    """'Nissan, Japan's second-largest carmaker': Nissan stays a company; 'Toulouse,
    France' still makes Toulouse a place."""
    doc = _doc(
        "Nissan , Japan 's second-largest carmaker , said . It flew to Toulouse , France .",
        [(0, 1, "ORG"), (2, 3, "GPE"), (12, 13, "ORG"), (14, 15, "GPE")],
    )
    labels = _labels(doc)
    assert labels["Nissan"] == "ORG"
    assert labels["Toulouse"] == "LOCATION"


def test_a_headline_colon_is_not_a_dateline() -> None:
    """'Apple: ...' heading a headline names the subject; 'LONDON:' in capitals is a
    dateline."""
    doc = _doc(
        "Apple : iPhone sales rise\nLONDON : Shares rose .",
        [(0, 1, "ORG"), (6, 7, "ORG")],
    )
    assert _labels(doc) == {"Apple": "ORG", "LONDON": "LOCATION"}


def test_a_possessive_does_not_make_a_person_an_organisation() -> None:
    """'Trump's party': the party is an organisation, Trump is not."""
    doc = _doc("Trump 's party won the vote .", [(0, 1, "PERSON")])
    assert _labels(doc) == {"Trump": "PERSON"}
    control = _doc("the Shin Bet security agency said .", [(1, 3, "PERSON")])
    assert _labels(control) == {"Shin Bet": "ORG"}


def test_a_first_name_that_is_a_place_stays_a_place() -> None:
    """'Israel Katz ... Israel': the country is not the minister."""
    doc = _doc(
        "Israel Katz said Israel would respond . Katz spoke .",
        [(0, 2, "PERSON"), (3, 4, "GPE"), (8, 9, "PERSON")],
    )
    entities = {e.name: e for e in extract_entities(doc)}
    assert entities["Israel"].label == "LOCATION"
    assert entities["Israel Katz"].aliases == ["Katz"]


def test_us_us_and_united_states_are_one_place() -> None:
    """'US', 'U.S.' and 'United States' in one article: one LOCATION, named by the fullest
    form the article uses, the others its aliases."""
    doc = _doc(
        "The United States said . U.S. officials and US troops left the United States of America .",
        [(1, 3, "GPE"), (5, 6, "GPE"), (8, 9, "GPE"), (12, 16, "GPE")],
    )
    places = [e for e in extract_entities(doc) if e.label == "LOCATION"]
    assert len(places) == 1
    assert places[0].name == "United States of America"
    assert set(places[0].aliases) == {"United States", "U.S.", "US"}
    assert len(places[0].mentions) == 4


def test_an_acronym_joins_the_name_it_spells() -> None:
    """'UN' is the 'United Nations' the article names; 'EU' with no 'European Union' in the
    article stays as it is."""
    doc = _doc(
        "The UN met . The United Nations said the EU agreed .",
        [(1, 2, "ORG"), (5, 7, "ORG"), (9, 10, "ORG")],
    )
    entities = {e.name: e for e in extract_entities(doc)}
    assert entities["United Nations"].aliases == ["UN"]
    assert entities["EU"].aliases == []


def test_an_acronym_two_names_spell_stays_apart() -> None:
    """'US' with both 'United States' and 'Upper Silesia' in the article: no guess."""
    doc = _doc(
        "US troops left the United States for Upper Silesia .",
        [(0, 1, "GPE"), (4, 6, "GPE"), (7, 9, "GPE")],
    )
    assert len(extract_entities(doc)) == 3


def test_country_names_from_the_iso_list() -> None:
    """Official and common names of one country are one identity; codes need capitals."""
    assert identity("LOCATION", "Czech Republic") == identity("LOCATION", "Czechia")
    assert identity("LOCATION", "Vietnam") == identity("LOCATION", "Viet Nam")
    assert identity("LOCATION", "United States") == identity("LOCATION", "United States of America")
    assert identity("ORG", "Czechia") == "czechia"
    assert acronym("U.S.") == "US" and acronym("us") is None and acronym("Apple") is None
    assert initials("Securities and Exchange Commission") == "SEC"
    assert initials("U.S. Air Force") == "USAF"


def test_us_in_a_capitals_headline() -> None:
    """A shouted 'US' is the country when the article writes 'US', else the pronoun."""
    about_us = "TRUMP SAYS US WILL LEAVE\nThe president said the US would leave."
    assert recase_text(about_us).splitlines()[0].split()[2] == "US"
    pronoun = "LET US PRAY FOR RAIN\nFarmers told us they hope for rain."
    assert recase_text(pronoun).splitlines()[0].split()[1] == "us"


def test_rules_can_be_switched_off_one_by_one() -> None:
    """The bench's ablation: with a rule off its effect goes, the others stay."""
    doc = _doc("Spokeswoman Sandy Angers said", [(0, 3, "ORG")])
    assert _labels(doc) == {"Sandy Angers": "PERSON"}
    off = extract_entities(doc, ALL_RULES - {"role_person"})
    assert [(e.name, e.label) for e in off] == [("Spokeswoman Sandy Angers", "ORG")]
