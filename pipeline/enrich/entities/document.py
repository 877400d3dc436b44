"""Make the mentions of one article agree with each other.

The small model decides each occurrence of a name on its own, so the same name gets
different labels (or none) in different sentences: in a results table, at the start
of a sentence, in a headline. An article rarely uses one name for two things, so:

- names found by patterns the model misses (organisation designators, "Name (Country)"
  and "P. Simmons" in results) join the model's mentions;
- every mention of a name takes the label most of its mentions got, weighed with the
  cues around them, and a surname seen in a person's full name is that person;
- an occurrence the model missed of a name it found elsewhere in the article (or of a
  surname of a person it found) becomes a mention too;
- names heading rows of numbers in tables are teams, for that row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.enrich.entities.cues import cue_label, designated_orgs
from pipeline.enrich.entities.mentions import Mention, mention_key
from pipeline.enrich.entities.rules import ALL_RULES, Rules
from pipeline.enrich.entities.tables import athletes, initialled_names, table_row_names
from pipeline.models import EntityLabel

__all__ = ["harmonise", "person_surnames"]

# Legal forms after a company name: "Apple Inc." is later just "Apple".
_LEGAL_FORM_WORDS = "inc inc. corp corp. co co. ltd ltd. llc plc ag sa s.a. nv n.v. gmbh bv b.v."
LEGAL_FORMS = frozenset(_LEGAL_FORM_WORDS.split())
# Labels win ties in this order: a name the model calls a person once and a place once
# is more often the person (surnames that are also towns, clubs named after places).
_TIE_ORDER: dict[str, int] = {"PERSON": 0, "ORG": 1, "LOCATION": 2, "MISC": 3}


def person_surnames(mentions: list[Mention]) -> dict[str, str]:
    """Surname key -> full-name key, for the surnames of multi-word person names that
    belong to exactly one such name in the article. The first word counts too: a name
    may put the family name first ("Wang Donghai", later "Wang"), unless the article uses
    that word alone for a place ("Israel Katz" does not make "Israel" a person)."""
    places = {mention_key(m.name) for m in mentions if m.label == "LOCATION"}
    owners: defaultdict[str, set[str]] = defaultdict(set)
    for m in mentions:
        words = m.name.split()
        if m.label != "PERSON" or len(words) < 2:
            continue
        first = mention_key(words[0])
        for part in {words[0], words[-1]}:
            if not _namelike(part) or part.endswith("."):
                continue
            if part is words[0] and first in places and words[0] != words[-1]:
                continue
            owners[mention_key(part)].add(mention_key(m.name))
    return {surname: next(iter(full)) for surname, full in owners.items() if len(full) == 1}


def _namelike(word: str) -> bool:
    return word[:1].isupper() and any(c.isalpha() for c in word) and word.lower() not in STOP_WORDS


def _weight(mention: Mention, rules: Rules) -> float:
    # The model guesses from capitalisation; in capitals it is guessing blind.
    capitals = mention.text.isupper() and len(mention.text) > 3
    return 0.5 if capitals and "caps_half_weight" in rules else 1.0


def _winner(counts: dict[EntityLabel, float]) -> EntityLabel:
    return min(counts.items(), key=lambda kv: (-kv[1], _TIE_ORDER[kv[0]]))[0]


def _vote(doc: Any, mentions: list[Mention], rules: Rules) -> list[Mention]:
    """Each mention with the label its name wins across the article (or, with the vote
    off, the label its own guess and cue win)."""
    votes: defaultdict[str, defaultdict[EntityLabel, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    own: list[EntityLabel] = []
    places = {m.start: m.end for m in mentions if m.label == "LOCATION"}
    for m in mentions:
        key = mention_key(m.name)
        mine: defaultdict[EntityLabel, float] = defaultdict(float)
        mine[m.label] += _weight(m, rules)
        cue = cue_label(doc, m, places, rules)
        if cue is not None:
            mine[cue[0]] += cue[1]
        for label, weight in mine.items():
            votes[key][label] += weight
        own.append(_winner(mine))
    if "vote" not in rules:
        return [m.labelled(label) for m, label in zip(mentions, own, strict=True)]
    labels = {key: _winner(counts) for key, counts in votes.items()}
    return [m.labelled(labels[mention_key(m.name)]) for m in mentions]


def _name_labels(mentions: list[Mention]) -> dict[str, EntityLabel]:
    """The label each name has most often among the mentions."""
    counts: defaultdict[str, defaultdict[EntityLabel, float]] = defaultdict(
        lambda: defaultdict(float)
    )
    for m in mentions:
        counts[mention_key(m.name)][m.label] += 1
    return {key: _winner(c) for key, c in counts.items()}


def _sequences(
    doc: Any,
    words: Sequence[str],
    mentions: list[Mention],
    surnames: dict[str, str],
    short_forms: bool,
) -> list[tuple[str, ...]]:
    """Token texts of each known name (and surname), longest first."""
    seqs = {tuple(words[m.name_start : m.end]) for m in mentions}
    seqs.update(
        (words[i],)
        for m in mentions
        if m.label == "PERSON"
        for i in (m.start, m.end - 1)
        if mention_key(words[i]) in surnames
    )
    if short_forms:
        seqs.update(_company_short_forms(doc, mentions))
    usable = [
        s for s in seqs if len(s) > 1 or (s[0].casefold() not in STOP_WORDS and _namelike(s[0]))
    ]
    return sorted(usable, key=len, reverse=True)


def _company_short_forms(doc: Any, mentions: list[Mention]) -> set[tuple[str, ...]]:
    """Company names without their legal form ("Apple" for "Apple Inc.")."""
    forms = set()
    for m in mentions:
        if m.label != "ORG" or m.text.rsplit(None, 1)[-1].lower() not in LEGAL_FORMS:
            continue  # the cheap test first: most mentions end in no legal form
        tokens = [t for t in doc[m.name_start : m.end] if not t.is_punct]
        if m.label == "ORG" and len(tokens) >= 2 and tokens[-1].lower_ in LEGAL_FORMS:
            forms.add(tuple(t.text for t in doc[m.name_start : tokens[-2].i + 1]))
    return forms


def _same_word(text: str, word: str) -> bool:
    # Capitals lines write names in capitals: compare those without case.
    return text == word or (text.isupper() and text.casefold() == word.casefold())


def _find_missed(
    doc: Any,
    words: Sequence[str],
    mentions: list[Mention],
    labels: dict[str, EntityLabel],
    surnames: dict[str, str],
    short_forms: bool,
    ents_cover: set[int],
) -> list[Mention]:
    """Occurrences of known names that no entity span covers."""
    by_first: defaultdict[str, list[tuple[str, ...]]] = defaultdict(list)
    for seq in _sequences(doc, words, mentions, surnames, short_forms):
        by_first[seq[0].casefold()].append(seq)
    covered = set(ents_cover)
    covered.update(i for m in mentions for i in range(m.start, m.end))
    found: list[Mention] = []
    i = 0
    while i < len(words):
        end = i + 1
        if i not in covered and words[i][:1].isupper():
            for seq in by_first.get(words[i].casefold(), []):
                end = i + len(seq)
                if (
                    end <= len(words)
                    and not covered.intersection(range(i, end))
                    and all(
                        _same_word(words[k], w) for k, w in zip(range(i, end), seq, strict=True)
                    )
                ):
                    match = doc[i:end]
                    label = labels.get(mention_key(match.text))
                    if label is not None:
                        found.append(
                            Mention(i, end, match.start_char, match.end_char, label, match.text)
                        )
                    break
            else:
                end = i + 1
        i = end
    return found


def _with_designated(mentions: list[Mention], runs: list[Mention]) -> list[Mention]:
    """Designated organisation names replace the model's mentions inside them."""
    kept = list(runs)
    for m in mentions:
        inside = [r for r in runs if r.start <= m.start and m.end <= r.end]
        crossing = [r for r in runs if r.start < m.end and m.start < r.end and r not in inside]
        if crossing:
            kept = [r for r in kept if r not in crossing]
        if not inside:
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def _strictly_inside(inner: Mention, outer: Mention) -> bool:
    return (
        outer.start <= inner.start
        and inner.end <= outer.end
        and inner.end - inner.start < (outer.end - outer.start)
    )


def _with_found(mentions: list[Mention], found: list[Mention]) -> list[Mention]:
    """Names found by a pattern replace the model's mentions that overlap them, unless
    the model saw an organisation there or a longer name around it ("John P. Smith")."""
    kept = list(found)
    for m in mentions:
        hits = [f for f in found if f.start < m.end and m.start < f.end]
        if not hits:
            kept.append(m)
        elif m.label == "ORG" or all(_strictly_inside(f, m) for f in hits):
            kept = [k for k in kept if k not in hits] + [m]
    return sorted(kept, key=lambda m: m.start)


def harmonise(
    doc: Any, mentions: list[Mention], rules: Rules = ALL_RULES, ents: Sequence[Any] | None = None
) -> list[Mention]:
    """The article's mentions with one label per name, plus missed occurrences of names
    (and of surnames of people) found elsewhere in it, in text order. ``ents`` are the
    model's spans (``doc.ents`` by default)."""
    words = [t.text for t in doc]
    covered = {i for ent in (doc.ents if ents is None else ents) for i in range(ent.start, ent.end)}
    if "designated_orgs" in rules:
        mentions = _with_designated(mentions, designated_orgs(doc, words, covered))
    if "athletes" in rules:
        mentions = _with_found(mentions, athletes(doc, words, mentions))
    if "initialled_names" in rules:
        mentions = _with_found(mentions, initialled_names(doc, words))
    voted = _vote(doc, mentions, rules)
    labels = _name_labels(voted)
    # A surname alone is the person whose full name the article gives.
    surnames = person_surnames(voted) if "surname_person" in rules else {}
    labels.update(dict.fromkeys(surnames, "PERSON"))
    agreed = [m.labelled("PERSON") if mention_key(m.name) in surnames else m for m in voted]
    if "missed_occurrences" in rules:
        if "company_short_forms" in rules:
            for short in _company_short_forms(doc, agreed):
                labels.setdefault(mention_key(" ".join(short)), "ORG")
        agreed.extend(
            _find_missed(
                doc, words, agreed, labels, surnames, "company_short_forms" in rules, covered
            )
        )
    if "table_rows" in rules:
        agreed = _with_table_rows(agreed, table_row_names(doc, doc.text))
    return sorted(agreed, key=lambda m: m.start)


def _with_table_rows(mentions: list[Mention], rows: list[Mention]) -> list[Mention]:
    """Names heading table rows are teams, for that row only: the same name in the prose
    may well be the city."""
    out = list(mentions)
    for row in rows:
        hits = [i for i, m in enumerate(out) if m.start < row.end and row.start < m.end]
        if not hits:
            out.append(row)
        for i in hits:
            if out[i].label != "PERSON":
                out[i] = out[i].labelled("ORG")
    return sorted(out, key=lambda m: m.start)
