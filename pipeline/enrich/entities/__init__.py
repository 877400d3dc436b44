"""Named entities from a spaCy Doc: canonical names, aliases and mention offsets.

The model's spans are cleaned to the name alone (mentions), made to agree across the
article (document), then grouped into one entity per distinct name (names).
"""

from __future__ import annotations

from typing import Any

from pipeline.enrich.entities.document import harmonise
from pipeline.enrich.entities.mentions import Mention, mentions_from_doc
from pipeline.enrich.entities.names import group_mentions
from pipeline.enrich.entities.rules import ALL_RULES, Rule, Rules
from pipeline.models import Entity

__all__ = ["ALL_RULES", "Mention", "Rule", "Rules", "extract_entities", "extract_mentions"]


def extract_mentions(doc: Any, rules: Rules = ALL_RULES) -> list[Mention]:
    """Every name mention of a parsed document, cleaned and harmonised, in text order."""
    ents = doc.ents  # spaCy builds this tuple from every token on each access: once
    return harmonise(doc, mentions_from_doc(doc, rules, ents), rules, ents)


def extract_entities(doc: Any, rules: Rules = ALL_RULES) -> list[Entity]:
    """The distinct PERSON/ORG/LOCATION/MISC entities of a parsed document; ``rules``
    names the rules that are on (all by default; the bench turns them off one by one)."""
    return group_mentions(extract_mentions(doc, rules))
