"""Entities: labels, name-only mentions, canonical names, aliases, article-level agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.tokens import Span

from pipeline.enrich.enricher import Enricher, EnrichInput
from pipeline.enrich.entities import extract_entities
from pipeline.enrich.entities.cues import designated_orgs
from pipeline.enrich.entities.mentions import clean_span
from pipeline.models import Entity
from pipeline.settings import Settings

SEED = Path(__file__).parents[3] / "seeds" / "000_0f075809db5f86f0.txt"

EXPECTED = {
    ("PERSON", "Benjamin Netanyahu"): "Netanyahu",
    ("PERSON", "Donald Trump"): "Trump",
    ("PERSON", "Joe Biden"): "Biden",
    ("PERSON", "Steve Witkoff"): None,
    ("PERSON", "Nitzan Alon"): None,
    ("PERSON", "Ophir Falk"): None,
    ("ORG", "Mossad"): None,
    ("ORG", "Shin Bet"): None,
    ("ORG", "Hamas"): None,
    ("ORG", "Hostages and Missing Families Forum"): None,
    ("ORG", "AFP"): None,
    ("ORG", "United Nations"): None,
    ("LOCATION", "Jerusalem"): None,
    ("LOCATION", "Qatar"): None,
    ("LOCATION", "Doha"): None,
    ("LOCATION", "Gaza"): None,
    ("LOCATION", "Israel"): None,
    ("LOCATION", "Egypt"): None,
    ("LOCATION", "United States"): None,
}


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    """One Enricher (model loaded once) for the module."""
    return Enricher(Settings().ner_model)


def _entities(enricher: Enricher, text: str) -> list[Entity]:
    result = enricher.enrich([EnrichInput(text=text)])[0]
    assert result.error is None
    return result.entities


def _seed_texts() -> list[str]:
    body = SEED.read_text(encoding="utf-8")
    return [body.split("JERUSALEM: ", 1)[1], body]


@pytest.mark.parametrize("text", _seed_texts(), ids=["after-dateline", "whole-body"])
def test_seed_article_entities(enricher: Enricher, text: str) -> None:
    """The seed article names who and what it is about, each once, with aliases."""
    entities = _entities(enricher, text)
    by_name = {(e.label, e.name): e for e in entities}
    missing = [key for key in EXPECTED if key not in by_name]
    assert not missing, f"missing {missing}; got {sorted(by_name)}"
    for key, alias in EXPECTED.items():
        if alias is not None:
            assert alias in by_name[key].aliases
    names = [e.name for e in entities if e.label != "MISC"]
    assert not any(n in {"Saturday", "46,537", "Thursday", "January 20"} for n in names)
    assert not any(any(c.isdigit() for c in n) for n in names)
    assert len(names) == len({(e.label, e.name) for e in entities if e.label != "MISC"})


@pytest.mark.parametrize("text", _seed_texts(), ids=["after-dateline", "whole-body"])
def test_mentions_cover_the_name_alone(enricher: Enricher, text: str) -> None:
    """Every mention span reads as the entity's name or one of its aliases; a place's span
    may also keep the article its name takes ("The United States")."""
    for entity in _entities(enricher, text):
        forms = {entity.name.casefold(), *(a.casefold() for a in entity.aliases)}
        for start, end in entity.mentions:
            span = " ".join(text[start:end].split()).casefold()
            if entity.label == "LOCATION" and span.startswith("the "):
                span = span.removeprefix("the ")
            assert span in forms
    netanyahu = next(e for e in _entities(enricher, text) if e.name == "Benjamin Netanyahu")
    first = text[netanyahu.mentions[0][0] - len("Minister ") : netanyahu.mentions[0][1]]
    assert first == "Minister Benjamin Netanyahu"
    hamas = next(e for e in _entities(enricher, text) if e.name == "Hamas")
    assert any(text[end : end + 2] == "'s" for _, end in hamas.mentions)


def test_titles_roles_and_possessives_are_not_names(enricher: Enricher) -> None:
    """'President Joe Biden' is Joe Biden; a later 'Biden's' is the same person."""
    text = (
        "US President Joe Biden met Senator John McCain in Washington on Monday. "
        "Biden's aides said McCain agreed."
    )
    people = {e.name: e for e in _entities(enricher, text) if e.label == "PERSON"}
    assert set(people) == {"Joe Biden", "John McCain"}
    assert people["Joe Biden"].aliases == ["Biden"]
    assert [text[a:b] for a, b in people["Joe Biden"].mentions] == ["Joe Biden", "Biden"]


def test_results_table_names_lose_their_scores(enricher: Enricher) -> None:
    """In sports tables the model glues scores to names; mentions keep the names only."""
    text = (
        "Leicestershire beat Somerset by an innings and 39 runs.\n"
        "Somerset 83 and 174 (P. Simmons 4-38), Leicestershire 296.\n"
        "Leicestershire 22 points, Somerset 4."
    )
    for entity in _entities(enricher, text):
        for start, end in entity.mentions:
            assert not text[start:end][-1].isdigit(), text[start:end]


def test_a_name_gets_one_label_across_the_article(enricher: Enricher) -> None:
    """Every mention of a name ends up in one entity, whatever each sentence suggested."""
    text = (
        "Ryanair said on Monday it would buy five Boeing jets. "
        "Irish low-cost airline, Ryanair, is Europe's biggest carrier. "
        "Ryanair shares rose. Analysts said Ryanair had negotiated hard."
    )
    ryanair = [e for e in _entities(enricher, text) if e.name == "Ryanair"]
    assert len(ryanair) == 1
    assert ryanair[0].label == "ORG"
    assert len(ryanair[0].mentions) == 4


def test_caps_headline_mentions_join_the_article_names(enricher: Enricher) -> None:
    """Names in a shouted headline are found and join the same names in the body."""
    text = (
        "SOCCER - JAPAN GET LUCKY WIN, CHINA IN SURPRISE DEFEAT.\n"
        "Japan began the defence of their title with a lucky win against Syria, "
        "while China suffered a surprise defeat."
    )
    entities = {e.name: e for e in _entities(enricher, text)}
    assert set(entities) == {"Japan", "China", "Syria"}
    assert [text[a:b] for a, b in entities["Japan"].mentions] == ["JAPAN", "Japan"]
    assert entities["China"].label == "LOCATION"


def test_non_english_articles_have_no_entities(enricher: Enricher) -> None:
    """Only English is enriched for now; the article's language says why."""
    result = enricher.enrich([EnrichInput(text="Emmanuel Macron est à Paris.", language="fr")])
    assert result[0].entities == []


def _blank_doc(text: str, ents: list[tuple[int, int, str]]) -> Any:
    doc = spacy.blank("en")(text)
    doc.ents = [Span(doc, a, b, label=label) for a, b, label in ents]
    return doc


def test_clean_span_strips_title_nationality_and_possessive() -> None:
    """Model spans that include a role and a possessive give the bare name."""
    doc = _blank_doc("Israeli Prime Minister Benjamin Netanyahu's office", [(0, 6, "PERSON")])
    mention = clean_span(doc.ents[0])
    assert mention is not None
    assert (mention.text, mention.label) == ("Benjamin Netanyahu", "PERSON")
    assert doc.text[mention.start_char : mention.end_char] == "Benjamin Netanyahu"


def test_clean_span_keeps_names_that_look_like_titles() -> None:
    """A title word at the end is the surname: 'John Major' stays whole."""
    doc = _blank_doc("Prime Minister John Major spoke", [(0, 4, "PERSON")])
    mention = clean_span(doc.ents[0])
    assert mention is not None and mention.text == "John Major"


@pytest.mark.parametrize(
    ("text", "span", "label"),
    [("on Saturday", (1, 2), "PERSON"), ("he said 46,537", (2, 3), "ORG"), ("the", (0, 1), "ORG")],
)
def test_clean_span_drops_what_is_not_a_name(text: str, span: tuple[int, int], label: str) -> None:
    """Weekdays, numbers and function words are never entities."""
    doc = _blank_doc(text, [(*span, label)])
    assert clean_span(doc.ents[0]) is None


def test_labels_map_to_the_output_contract() -> None:
    """GPE/LOC/FAC are LOCATION, NORP is MISC, numbers and dates are dropped."""
    doc = _blank_doc(
        "Israeli troops left Gaza for Ben Gurion Airport on Monday with 20 tanks",
        [(0, 1, "NORP"), (3, 4, "GPE"), (5, 8, "FAC"), (9, 10, "DATE"), (11, 12, "CARDINAL")],
    )
    got = {(e.name, e.label) for e in extract_entities(doc)}
    assert got == {("Israeli", "MISC"), ("Gaza", "LOCATION"), ("Ben Gurion Airport", "LOCATION")}


def test_designated_organisation_found_where_the_model_saw_nothing() -> None:
    """A capitalised run ending in 'Forum' is an organisation, without 'the'."""
    doc = _blank_doc("It was welcomed by the Hostages and Missing Families Forum, a group.", [])
    words = [t.text for t in doc]
    assert [m.text for m in designated_orgs(doc, words)] == ["Hostages and Missing Families Forum"]


def test_surname_joins_the_only_person_with_it() -> None:
    """A lone surname is an alias of the full name; ambiguous surnames stay apart."""
    doc = _blank_doc(
        "Ophir Falk met Nitzan Alon . Later Falk left .",
        [(0, 2, "PERSON"), (3, 5, "PERSON")],
    )
    people = {e.name: e for e in extract_entities(doc)}
    assert people["Ophir Falk"].aliases == ["Falk"]
    assert len(people["Ophir Falk"].mentions) == 2


def test_standings_table_rows_are_teams(enricher: Enricher) -> None:
    """A name heading a row of numbers is a team, though the city in prose is a place."""
    text = (
        "New York beat Baltimore 5-3 on Friday, the night the city celebrated.\n"
        "AMERICAN LEAGUE\n"
        "W L PCT GB\n"
        "NEW YORK 74 59 .556 -\n"
        "BALTIMORE 70 63 .526 4\n"
        "Puchon 3 1 0 6 1 10\n"
    )
    labels = {text[a:b]: e.label for e in _entities(enricher, text) for a, b in e.mentions}
    assert labels["NEW YORK"] == "ORG"
    assert labels["BALTIMORE"] == "ORG"
    assert labels["Puchon"] == "ORG"
    assert labels["New York"] == "LOCATION"


def test_family_name_first_joins_the_full_name() -> None:
    """'Wang Donghai' then 'Wang': the lone family name is the same person."""
    doc = _blank_doc(
        "Dissident Wang Donghai was held . Police said Wang had been warned .",
        [(1, 3, "PERSON"), (9, 10, "ORG")],
    )
    people = [e for e in extract_entities(doc) if e.label == "PERSON"]
    assert [(e.name, e.aliases, len(e.mentions)) for e in people] == [("Wang Donghai", ["Wang"], 2)]


def test_context_cues_decide_the_kind_of_name() -> None:
    """'The Beatles' take an article (a group); 'Toulouse, France' is a place."""
    doc = _blank_doc(
        "The Beatles sued . The jet flew to Toulouse , France .",
        [(1, 2, "PERSON"), (8, 9, "PERSON"), (10, 11, "GPE")],
    )
    labels = {e.name: e.label for e in extract_entities(doc)}
    assert labels == {"Beatles": "ORG", "Toulouse": "LOCATION", "France": "LOCATION"}


def test_currency_codes_are_not_organisations() -> None:
    """'$99 (USD)': the model's ORG guess for a currency code is dropped."""
    doc = _blank_doc("It costs $ 99 ( USD ) to join .", [(5, 6, "ORG")])
    assert extract_entities(doc) == []


def test_a_score_inside_a_span_separates_two_names() -> None:
    """'CHELSEA 2 ARSENAL 1': the model's one span is two teams."""
    doc = _blank_doc("CHELSEA 2 ARSENAL 1 .", [(0, 3, "ORG")])
    assert [(e.name, e.label) for e in extract_entities(doc)] == [
        ("CHELSEA", "ORG"),
        ("ARSENAL", "ORG"),
    ]


def test_weak_cues_do_not_overturn_a_clear_person() -> None:
    """'the Trump transition team' does not turn Trump, a person four times, into an ORG."""
    doc = _blank_doc(
        "Trump won . Trump spoke . Trump left . Trump slept . the Trump transition team met .",
        [
            (0, 1, "PERSON"),
            (3, 4, "PERSON"),
            (6, 7, "PERSON"),
            (9, 10, "PERSON"),
            (13, 14, "PERSON"),
        ],
    )
    assert [(e.name, e.label, len(e.mentions)) for e in extract_entities(doc)] == [
        ("Trump", "PERSON", 5)
    ]


@pytest.mark.parametrize(
    ("text", "span", "label", "expected"),
    [
        ("Spokeswoman Sandy Angers said", (0, 3), "ORG", ("Sandy Angers", "PERSON")),
        ("They met on King Street today", (3, 5), "FAC", ("King Street", "LOCATION")),
        ("Prince Edward Island voted", (0, 3), "GPE", ("Prince Edward Island", "LOCATION")),
        ("Queen Mary University said", (0, 3), "ORG", ("Queen Mary University", "ORG")),
    ],
)
def test_role_at_the_head_of_a_span(
    text: str, span: tuple[int, int], label: str, expected: tuple[str, str]
) -> None:
    """A person's role heading a would-be organisation makes it the person; places and
    institutions named after titles stay what they are."""
    doc = _blank_doc(text, [(*span, label)])
    assert [(e.name, e.label) for e in extract_entities(doc)] == [expected]


def test_name_before_a_bracketed_country_is_a_competitor() -> None:
    """'Ines Gorrochategui (Argentina)': a person, whatever the model guessed."""
    doc = _blank_doc(
        "Sandrine Testud ( France ) beat Ines Gorrochategui ( Argentina ) 4-6 6-2",
        [(0, 2, "PERSON"), (3, 4, "GPE"), (6, 8, "GPE"), (9, 10, "GPE")],
    )
    labels = {e.name: e.label for e in extract_entities(doc)}
    assert labels == {
        "Sandrine Testud": "PERSON",
        "France": "LOCATION",
        "Ines Gorrochategui": "PERSON",
        "Argentina": "LOCATION",
    }


def test_initials_and_surname_are_a_player() -> None:
    """'(P. Simmons 4-38)': a person; a longer name the model found is kept whole."""
    doc = _blank_doc(
        "Somerset 83 ( P. Simmons 4-38 ) . John P. Smith said .",
        [(0, 1, "GPE"), (10, 13, "PERSON")],
    )
    people = sorted(e.name for e in extract_entities(doc) if e.label == "PERSON")
    assert people == ["John P. Smith", "P. Simmons"]
