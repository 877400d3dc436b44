"""What the words around a name say about its kind, where the small model guesses.

- An organisation's designator ends or heads a capitalised name ("Hostages and Missing
  Families Forum", "Ministry of Defence", "Singapore Airlines"): the run is an ORG,
  even where the model saw nothing or only part of it.
- An organisation noun next to a name describes it ("airline Ryanair", "German
  magazine Der Spiegel", "the Shin Bet security agency"): that mention is an ORG.
- A title or role right before a name makes it a person ("finalist MaliVai Washington");
  a place after a comma ("Toulouse, France") or a line-initial "NAME:" (a dateline) a
  place; "the" before a plural name ("The Beatles") a group.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.enrich.entities.mentions import ORG_DESIGNATORS, PERSON_ROLES, Mention
from pipeline.enrich.entities.rules import ALL_RULES, Rules
from pipeline.models import EntityLabel

__all__ = ["ORG_NOUNS", "cue_label", "designated_orgs"]


_ORG_NOUN_WORDS = """
    agency group company firm party ministry council organisation organization movement
    union bank network airline carrier newspaper magazine daily broadcaster club team
    forum army militia committee commission corporation manufacturer maker airframer
    conglomerate retailer insurer lender regulator watchdog outlet channel publisher
    university charity foundation institute consortium subsidiary startup operator
    automaker carmaker chipmaker giant
"""
ORG_NOUNS = frozenset(_ORG_NOUN_WORDS.split())

_CONNECTORS = frozenset({"of", "and", "for", "&"})
# A capitalised function word starts a sentence, not a name ("In Congress", "The ...").
_STARTS_NOT_A_NAME = STOP_WORDS
# Longer capitalised runs are title-case headlines, not one name.
_MAX_RUN = 8


def _capitalised(text: str) -> bool:
    # Lines in capitals say nothing about names: leave them to the model.
    return text[:1].isupper() and not (len(text) > 3 and text.isupper())


def _joins(words: Sequence[str], i: int) -> bool:
    """Whether words[i] is a connector inside a name ("Bank of England")."""
    lower = words[i].lower()
    return (
        lower in _CONNECTORS
        and i + 1 < len(words)
        and _capitalised(words[i + 1])
        # "X Airlines and Y Airlines" are two names
        and not (lower in ("and", "&") and words[i - 1].lower() in ORG_DESIGNATORS)
    )


def _runs(words: Sequence[str]) -> list[tuple[int, int]]:
    """Token ranges of capitalised words joined by of/and/for/&."""
    runs = []
    i = 0
    while i < len(words):
        if not _capitalised(words[i]) or words[i].lower() in _STARTS_NOT_A_NAME:
            i += 1
            continue
        end = i + 1
        while end < len(words) and (_capitalised(words[end]) or _joins(words, end)):
            end += 1
        runs.append((i, end))
        i = end
    return runs


def designated_orgs(
    doc: Any, words: Sequence[str], covered: Collection[int] | None = None
) -> list[Mention]:
    """Organisation names the model missed: capitalised runs ending in a designator
    ("... Families Forum") or headed by one ("Ministry of ..."), where the model saw no
    entity at all. ``words`` are the doc's token texts."""
    if covered is None:
        covered = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    found: list[Mention] = []
    for start, end in _runs(words):
        designators = [k for k in range(start, end) if words[k].lower() in ORG_DESIGNATORS]
        if not designators:
            continue
        last = designators[-1]
        if last + 1 < end and words[last + 1].lower() != "of":
            end = last + 1
        if 2 <= end - start <= _MAX_RUN and not any(k in covered for k in range(start, end)):
            run = doc[start:end]
            found.append(Mention(start, end, run.start_char, run.end_char, "ORG", run.text))
    return found


def _noun_before(doc: Any, mention: Mention) -> bool:
    i = mention.start - 1
    if i >= 0 and doc[i].text == ",":
        i -= 1
    return i >= 0 and doc[i].text.islower() and doc[i].lower_ in ORG_NOUNS


_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})


def _noun_after(doc: Any, mention: Mention) -> bool:
    # "Shin Bet security agency"; not "Trump's party": a possessive names the owner
    for token in doc[mention.end : mention.end + 3]:
        if not token.text.islower() or token.text in _POSSESSIVE:
            return False
        if token.lower_ in ORG_NOUNS:
            return True
    return False


def _role_before(doc: Any, mention: Mention) -> bool:
    i = mention.start - 1
    return i >= 0 and doc[i].lower_ in PERSON_ROLES


def _place_after(doc: Any, mention: Mention, places: Mapping[int, int]) -> bool:
    """'Toulouse, France': a place after a comma that ends there, not the owner of what
    follows ('Nissan, Japan's second-largest carmaker')."""
    if mention.end + 1 >= len(doc) or doc[mention.end].text != ",":
        return False
    place_end = places.get(mention.end + 1)
    return place_end is not None and (
        place_end >= len(doc) or doc[place_end].text not in _POSSESSIVE
    )


def _heads_line_before_colon(doc: Any, mention: Mention) -> bool:
    """'LONDON: ...': a wire dateline, in capitals at the head of a line. A headline's
    'Apple: iPhone sales rise' names the subject, not a place."""
    before = mention.start - 1
    at_line_start = before < 0 or "\n" in doc[before].text or "\n" in doc[before].whitespace_
    return (
        at_line_start
        and mention.text.isupper()
        and mention.end < len(doc)
        and doc[mention.end].text == ":"
    )


# How much a cue counts against the model's own guesses (1 per mention). A describing
# noun or a title right before a name decides; the others only tip a close vote, so a
# name the model calls a person five times survives "the Trump transition team".
STRONG_CUE = 8.0
WEAK_CUE = 2.0


def cue_label(
    doc: Any, mention: Mention, places: Mapping[int, int] | None = None, rules: Rules = ALL_RULES
) -> tuple[EntityLabel, float] | None:
    """What the words around a mention say it is, and how strongly; None when they say
    nothing.

    Strong: ORG after an organisation noun ("airline, Ryanair"); PERSON after a title
    or role ("finalist MaliVai Washington", "Mr Dole"). Weak: LOCATION when a place
    follows after a comma ("Toulouse, France") or the name heads a line before a colon
    (a dateline); ORG when a person-looking name is followed by an organisation noun
    ("Shin Bet security agency": places are followed by "ministry" all the time, so
    only person-looking names) or is a plural after "the" ("The Beatles").
    ``places`` maps the token index where each of the model's place mentions begins to
    the index where it ends."""
    if "cue_org_noun_before" in rules and _noun_before(doc, mention):
        return "ORG", STRONG_CUE
    if "cue_role_before" in rules and _role_before(doc, mention):
        return "PERSON", STRONG_CUE
    if ("cue_place_after_comma" in rules and _place_after(doc, mention, places or {})) or (
        "cue_dateline" in rules and _heads_line_before_colon(doc, mention)
    ):
        return "LOCATION", WEAK_CUE
    if mention.label == "PERSON" and (
        ("cue_org_noun_after" in rules and _noun_after(doc, mention))
        or ("cue_the_plural" in rules and _plural_after_the(doc, mention))
    ):
        return "ORG", WEAK_CUE
    return None


def _plural_after_the(doc: Any, mention: Mention) -> bool:
    after_the = mention.article or (mention.start > 0 and doc[mention.start - 1].lower_ == "the")
    return after_the and doc[mention.end - 1].text.endswith("s")
