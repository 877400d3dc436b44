"""Each entity rule's worth on each corpus: the rules re-run with one switched off."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _corpora import GoldDoc, GoldSpan
from _scoring import SCORED_TYPES, Scores, score_docs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

__all__ = ["RECALL_ONLY", "print_ablation"]

OUR_TYPES = {"PERSON": "PER", "ORG": "ORG", "LOCATION": "LOC"}
BATCH = 64
# ECB+ is a partial annotation: only its recall is reported.
RECALL_ONLY = "ecbplus-recall"
Corpus = tuple[str, list[GoldDoc]]


def _mention_spans(doc: Any, rules: Any) -> list[GoldSpan]:
    from pipeline.enrich.entities import extract_entities

    return [
        GoldSpan(a, b, OUR_TYPES[e.label])
        for e in extract_entities(doc, rules)
        if e.label in OUR_TYPES
        for a, b in e.mentions
    ]


def print_ablation(corpora: Sequence[Corpus], model: str) -> None:
    """Each rule's worth on each corpus: micro exact and overlap F1 with all rules, and how
    much each falls (or rises) with that one rule off; the label most moved beside it."""
    from pipeline.enrich.entities import ALL_RULES
    from pipeline.enrich.entities.rules import RULE_DOCS
    from pipeline.enrich.nlp import load_nlp

    nlp = load_nlp(model)
    reading = nlp.tokenizer
    parsed: dict[str, list[Any]] = {}
    plain: dict[str, list[Any]] = {}
    for name, docs in corpora:
        parsed[name] = list(nlp.pipe([d.text for d in docs], batch_size=BATCH))
        nlp.tokenizer = reading.tokenizer  # spaCy's own tokenizer: no casing pass
        try:
            plain[name] = list(nlp.pipe([d.text for d in docs], batch_size=BATCH))
        finally:
            nlp.tokenizer = reading

    def scores(name: str, docs: list[GoldDoc], parses: list[Any], rules: Any) -> Scores:
        spans = [_mention_spans(doc, rules) for doc in parses]
        return score_docs(zip(docs, spans, strict=True))

    full = {name: scores(name, docs, parsed[name], ALL_RULES) for name, docs in corpora}
    variants: list[tuple[str, dict[str, Scores]]] = []
    for rule in sorted(ALL_RULES):
        off = ALL_RULES - {rule}
        variants.append((rule, {n: scores(n, d, parsed[n], off) for n, d in corpora}))
    variants.append(("casing", {n: scores(n, d, plain[n], ALL_RULES) for n, d in corpora}))
    variants.append(
        ("(all rules off)", {n: scores(n, d, parsed[n], frozenset()) for n, d in corpora})
    )

    names = [name for name, _ in corpora]

    def f(s: Scores, n: str, kind: str, label: str | None = None) -> float:
        # ECB+ is a partial annotation: only its recall means something.
        return s.prf(kind, label)[1 if n == RECALL_ONLY else 2]

    print(
        "ablation: micro F1 change with the rule off (exact/overlap), x100, and the label "
        f"moved most; + = the rule hurts; {RECALL_ONLY}: recall, not F1"
    )
    head = "".join(f" {n:>23}" for n in names)
    print(f"  {'rule':<22}{head}")
    line = "".join(
        f" {f(full[n], n, 'exact'):>9.3f} /{f(full[n], n, 'overlap'):>6.3f}      " for n in names
    )
    print(f"  {'all rules on':<22}{line}")
    for rule, by_corpus in variants:
        cells = []
        for n in names:
            de = 100 * (f(by_corpus[n], n, "exact") - f(full[n], n, "exact"))
            do = 100 * (f(by_corpus[n], n, "overlap") - f(full[n], n, "overlap"))
            moves = {
                lab: 100 * (f(by_corpus[n], n, "exact", lab) - f(full[n], n, "exact", lab))
                for lab in SCORED_TYPES
            }
            moved = max(moves, key=lambda lab: abs(moves[lab]))
            label = f"{moved} {moves[moved]:+.1f}" if abs(moves[moved]) >= 0.05 else ""
            cells.append(f" {de:>+6.1f} /{do:>+5.1f} {label:>9}")
        print(f"  {rule:<22}{''.join(cells)}")
    print("  rules: " + "; ".join(f"{r}: {d}" for r, d in RULE_DOCS.items()))
