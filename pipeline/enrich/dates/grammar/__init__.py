"""The grammar: each rule is a regex and a function from its match to a TIMEX3 type and value.

Regexes are case-sensitive where capitals tell names apart ("May", "March") and use
``(?i:...)`` for ordinary words. Rules may overlap: ``extract`` keeps the longest match,
and the rule registered first when two are as long (modules register in import order).
"""

from __future__ import annotations

from pipeline.enrich.dates.grammar import absolute, clock, days, periods, spans  # noqa: F401
from pipeline.enrich.dates.grammar.core import RULES, Context, Found, Rule, text_words

__all__ = ["RULES", "Context", "Found", "Rule", "text_words"]
