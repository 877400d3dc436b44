"""The entity stage's rules by name, so each can be switched off and its effect measured.

Every rule on top of the model has a name here; the stage takes the set of rules that
are on (all of them by default). ``bench/eval_entities.py --ablate`` turns each off in
turn and prints what it is worth on every corpus; docs/entities.md keeps the table.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ALL_RULES", "RULE_DOCS", "Rule", "Rules"]

Rule = Literal[
    # mentions.py: the model's spans cut to the name
    "trim_titles",
    "trim_article",
    "trim_numbers",
    "trim_lowercase",
    "split_scores",
    "role_person",
    "drop_non_names",
    # cues.py: words around a name
    "designated_orgs",
    "cue_org_noun_before",
    "cue_role_before",
    "cue_place_after_comma",
    "cue_dateline",
    "cue_org_noun_after",
    "cue_the_plural",
    # document.py: one article, one label per name
    "vote",
    "caps_half_weight",
    "surname_person",
    "missed_occurrences",
    "company_short_forms",
    # tables.py: results and standings
    "table_rows",
    "athletes",
    "initialled_names",
]
Rules = frozenset[Rule]
ALL_RULES: Rules = frozenset(get_args(Rule))

RULE_DOCS: dict[Rule, str] = {
    "trim_titles": "titles and roles before a person's name leave the span",
    "trim_article": "a leading 'the' leaves organisation and other spans (places keep it)",
    "trim_numbers": "numbers at the edges of a person/organisation/place span leave it",
    "trim_lowercase": "lower-case words before an organisation or place leave the span",
    "split_scores": "a number inside a span splits it in two names ('CHELSEA 2 ARSENAL')",
    "role_person": "an ORG span headed by a person's role is that person",
    "drop_non_names": "weekday, month and currency-code spans are no names",
    "designated_orgs": "capitalised runs with an organisation designator the model missed",
    "cue_org_noun_before": "an organisation noun before a name ('airline Ryanair'): ORG",
    "cue_role_before": "a title or role before a name ('finalist X'): PERSON",
    "cue_place_after_comma": "'Toulouse, France': the first name is a place",
    "cue_dateline": "a name heading a line before ':' (dateline, venue): place",
    "cue_org_noun_after": "'Shin Bet security agency': a person-looking name is an ORG",
    "cue_the_plural": "'the Beatles': a person-looking plural after 'the' is a group",
    "vote": "one label per name in an article (weighted vote of its mentions)",
    "caps_half_weight": "guesses made on text in capitals count half in the vote",
    "surname_person": "a surname alone is the person whose full name the article gives",
    "missed_occurrences": "occurrences the model missed of names it found elsewhere",
    "company_short_forms": "'Apple' after 'Apple Inc.' is the same company",
    "table_rows": "a name heading a row of numbers is a team (ORG), for that row",
    "athletes": "'Name (Country)' in results is a competitor (PERSON)",
    "initialled_names": "'P. Simmons' (initials and a surname) is a person",
}
