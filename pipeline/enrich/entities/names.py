"""Group an article's mentions into entities with a canonical name and aliases."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.enrich.entities.canonical import acronym, identity, initials
from pipeline.enrich.entities.document import person_surnames
from pipeline.enrich.entities.mentions import Mention, mention_key
from pipeline.models import Entity

__all__ = ["group_mentions"]


def _canonical(forms: Counter[str]) -> str:
    """The fullest form: most words, not written in capitals, longest, most frequent."""
    return max(
        forms,
        key=lambda text: (len(text.split()), not text.isupper(), len(text), forms[text]),
    )


def _join_acronyms(groups: dict[tuple[str, str], list[Mention]]) -> None:
    """An acronym's mentions join the one name of the same label whose initials it spells
    ("UN" -> "United Nations"); with no such name, or two, it stays apart."""
    spelled: defaultdict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for group, members in groups.items():
        for m in members:
            if letters := initials(m.name):
                spelled[(group[0], letters)].add(group)
    for group in list(groups):
        spelt = acronym(groups[group][0].name)
        targets = spelled.get((group[0], spelt or ""), set()) - {group}
        if spelt and len(targets) == 1:
            groups[next(iter(targets))].extend(groups.pop(group))


def group_mentions(mentions: list[Mention]) -> list[Entity]:
    """One entity per distinct name (a lone surname joins the person's full name; "US",
    "U.S." and "United States" are one place), in order of first mention."""
    surnames = person_surnames(mentions)
    groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        key = mention_key(m.name)
        if m.label == "PERSON" and key in surnames:
            key = surnames[key]
        else:
            key = identity(m.label, m.name)
        groups[(m.label, key)].append(m)
    _join_acronyms(groups)
    entities = []
    for (label, _), members in groups.items():
        forms = Counter(" ".join(m.name.split()) for m in members)
        name = _canonical(forms)
        seen = {name.casefold()}
        aliases = []
        for form in forms:
            if form.casefold() not in seen:
                seen.add(form.casefold())
                aliases.append(form)
        spans = sorted({(m.start_char, m.end_char) for m in members})
        entities.append(Entity(name=name, label=label, aliases=aliases, mentions=spans))
    return sorted(entities, key=lambda e: e.mentions[0])
