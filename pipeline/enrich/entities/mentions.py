"""Entity mentions from the model's spans: our labels, and the name alone.

The model's spans often carry more than the name: a title or role ("Prime Minister
Benjamin Netanyahu"), a possessive ("Hamas's"), a score in a results table
("Somerset 83"), a leading article. Mentions keep the name only, so offsets,
canonical names and aliases all agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Span

from pipeline.models import EntityLabel

__all__ = [
    "LABELS",
    "PERSON_ROLES",
    "TITLES",
    "Mention",
    "clean_span",
    "mention_key",
    "mentions_from_doc",
]

# OntoNotes labels of the English pipelines -> our labels; the rest (dates, numbers,
# money...) are not entities here.
LABELS: dict[str, EntityLabel] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "ORG": "ORG",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "MISC",
    "EVENT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "PRODUCT": "MISC",
    "MISC": "MISC",
}

# Words that introduce a person's name without being part of it (lower case).
_TITLE_WORDS = """
    mr mr. mrs mrs. ms ms. miss dr dr. prof prof. professor sir dame lord lady madam
    president president-elect vice prime premier minister secretary chancellor chairman
    chairwoman chair ceo cfo coo chief executive director manager coach spokesman
    spokeswoman spokesperson adviser advisor envoy ambassador governor gov. mayor senator
    sen. rep. representative congressman congresswoman speaker judge justice attorney
    general gen. lt. lieutenant col. colonel maj. major capt. captain sgt. sergeant cpl.
    corporal admiral adm. commander commissioner inspector officer detective agent
    king queen prince princess emperor empress sultan emir sheikh sheik ayatollah imam
    mullah rabbi pope cardinal archbishop bishop reverend rev. father brother sister
    saint st. former late deputy acting foreign defence defense interior finance state
    leader striker midfielder defender goalkeeper keeper forward batsman bowler
    all-rounder skipper champion seed rider driver player veteran opener
"""
TITLES = frozenset(_TITLE_WORDS.split())
# Titles and roles that only people have (not "former", "state", "foreign"...).
_NOT_ROLE_WORDS = """
    former late deputy acting foreign defence defense interior finance state vice prime
    saint st. chief executive general major justice
"""
_NOT_ROLES = frozenset(_NOT_ROLE_WORDS.split())
_ROLE_WORDS = "finalist semifinalist wildcard compatriot teammate rookie pitcher"
PERSON_ROLES = (TITLES - _NOT_ROLES) | frozenset(_ROLE_WORDS.split())
# Words that end or head an organisation's name ("... Forum", "Ministry of ...").
_DESIGNATOR_WORDS = """
    forum council committee agency association party ministry institute university college
    bank company corporation corp corp. inc inc. ltd ltd. llc plc co. group union
    organisation organization federation league club army navy force forces front movement
    commission authority office department court fund foundation society board bureau
    service services network airlines airways assembly parliament senate congress trust
    alliance coalition brigade brigades police guard guards institution academy exchange
    reserve center centre hospital church mission tribunal cabinet government
"""
ORG_DESIGNATORS = frozenset(_DESIGNATOR_WORDS.split())
_CALENDAR_WORDS = """
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december today yesterday tomorrow
"""
_CALENDAR = frozenset(_CALENDAR_WORDS.split())
# ISO 4217 codes the model takes for organisations ("$99 (USD)").
_CURRENCY_CODES = "usd eur gbp jpy cny rmb chf aud cad hkd inr rub nzd sek nok dkk"
_CURRENCIES = frozenset(_CURRENCY_CODES.split())
_POSSESSIVES = frozenset({"'s", "’s", "'", "’", "'S"})
_LEADING_JUNK = frozenset({"the", "a", "an"})
_NUMBERISH = re.compile(r"^[\d.,:/+-]*\d[\d.,:/+-]*$")


@dataclass(frozen=True)
class Mention:
    """A name in the text: token range, character span (end-exclusive) and label."""

    start: int
    end: int
    start_char: int
    end_char: int
    label: EntityLabel
    text: str


def mention_key(text: str) -> str:
    """What two mentions must share to be the same name: text without case or spacing."""
    return " ".join(text.split()).casefold()


def _is_junk(token: Any, label: EntityLabel) -> bool:
    # Numbers next to a person, organisation or place are scores and counts
    # ("Somerset 83"); in other names they belong ("Boeing 737", "Euro 96").
    return bool(
        token.is_punct
        or token.is_space
        or token.text in _POSSESSIVES
        or (label != "MISC" and _NUMBERISH.match(token.text))
    )


def _title_end(tokens: list[Any]) -> int:
    """How many leading tokens to drop: everything up to the last title word, as long as a
    name is left after it."""
    cut = 0
    for i, token in enumerate(tokens[:-1]):
        if token.lower_ in TITLES or (i == cut and token.text.islower()):
            cut = i + 1
    return cut


def clean_span(span: Any) -> Mention | None:
    """The name alone inside an entity span, with our label; None when nothing that looks
    like a name is left."""
    label = LABELS.get(span.label_)
    if label is None:
        return None
    tokens = list(span)
    while tokens and _is_junk(tokens[-1], label):
        tokens.pop()
    while tokens and (_is_junk(tokens[0], label) or tokens[0].lower_ in _LEADING_JUNK):
        tokens.pop(0)
    if (
        label == "ORG"
        and len(tokens) >= 3
        and tokens[0].lower_ in PERSON_ROLES
        and not any(t.lower_ in ORG_DESIGNATORS for t in tokens)
    ):
        # "Spokeswoman Sandy Angers" taken for an organisation: a role heads a person.
        label = "PERSON"
    if label == "PERSON" and tokens:
        tokens = tokens[_title_end(tokens) :]
    elif tokens and label in ("ORG", "LOCATION"):
        while len(tokens) > 1 and tokens[0].text.islower():
            tokens.pop(0)
    if not tokens:
        return None
    words = [t for t in tokens if any(c.isalpha() for c in t.text)]
    if not any(t.text[:1].isupper() for t in words):
        return None
    if all(t.lower_ in _CALENDAR or t.lower_ in _CURRENCIES for t in words):
        return None
    first, last = tokens[0], tokens[-1]
    doc = span.doc
    return Mention(
        start=first.i,
        end=last.i + 1,
        start_char=first.idx,
        end_char=last.idx + len(last.text),
        label=label,
        text=doc[first.i : last.i + 1].text,
    )


def _parts(span: Any) -> list[Any]:
    """A person, organisation or place span cut at the numbers inside it: in a results
    line "CHELSEA 2 ARSENAL" is two names."""
    if LABELS.get(span.label_) in (None, "MISC") or len(span) < 3:
        return [span]
    parts, start = [], span.start
    for token in span[1:-1]:
        if _NUMBERISH.match(token.text):
            parts.append(span.doc[start : token.i])
            start = token.i + 1
    if not parts:
        return [span]
    parts.append(span.doc[start : span.end])
    return [Span(span.doc, p.start, p.end, label=span.label) for p in parts if len(p)]


def mentions_from_doc(doc: Any) -> list[Mention]:
    """Cleaned mentions of every named-entity span the model found, in text order."""
    found = (clean_span(part) for ent in doc.ents for part in _parts(ent))
    return [m for m in found if m is not None]
