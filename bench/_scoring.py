"""Span scoring for the NER evaluations: exact and overlap precision, recall and F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from _corpora import GoldDoc, GoldSpan

__all__ = ["SCORED_TYPES", "Scores", "score_docs", "visible_predictions"]

SCORED_TYPES = ("PER", "ORG", "LOC")


@dataclass
class Scores:
    """True positives, predictions and gold counts per type, for exact and overlap matching."""

    exact_tp: Counter[str]
    overlap_tp: Counter[str]
    predicted: Counter[str]
    gold: Counter[str]

    def prf(self, kind: str, label: str | None = None) -> tuple[float, float, float]:
        """Precision, recall and F1 for one type, or micro-averaged when label is None."""
        tps = self.exact_tp if kind == "exact" else self.overlap_tp
        labels = SCORED_TYPES if label is None else (label,)
        tp = sum(tps[x] for x in labels)
        pred = sum(self.predicted[x] for x in labels)
        gold = sum(self.gold[x] for x in labels)
        p = tp / pred if pred else 0.0
        r = tp / gold if gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def visible_predictions(doc: GoldDoc, predicted: Iterable[GoldSpan]) -> list[GoldSpan]:
    """Predictions that count: scored types, inside the annotated scope, and not on an
    ignored (other-type) mention unless they also meet a gold mention of their type."""
    out = []
    for span in predicted:
        if span.label not in SCORED_TYPES:
            continue
        if doc.scope_end is not None and span.start >= doc.scope_end:
            continue
        if any(span.start < b and a < span.end for a, b in doc.ignore) and not any(
            g.label == span.label and span.start < g.end and g.start < span.end for g in doc.spans
        ):
            continue
        out.append(span)
    return out


def score_docs(pairs: Iterable[tuple[GoldDoc, list[GoldSpan]]]) -> Scores:
    """Score predictions against gold; overlap matching is one-to-one and greedy in text order."""
    scores = Scores(Counter(), Counter(), Counter(), Counter())
    for doc, predicted in pairs:
        preds = sorted(set(visible_predictions(doc, predicted)), key=lambda s: (s.start, s.end))
        gold = [g for g in doc.spans if g.label in SCORED_TYPES]
        scores.predicted.update(p.label for p in preds)
        scores.gold.update(g.label for g in gold)
        gold_set = set(gold)
        scores.exact_tp.update(p.label for p in preds if p in gold_set)
        used: set[int] = set()
        for p in preds:
            for i, g in enumerate(gold):
                if i not in used and g.label == p.label and p.start < g.end and g.start < p.end:
                    used.add(i)
                    scores.overlap_tp[p.label] += 1
                    break
    return scores
