"""End-to-end throughput: replay N generated articles through queue, worker(s) and the
atomic write on a real redis-server, with two references measured in the same run.

    python bench/throughput.py [--n 20000] [--workers 1] [--enrich]

Without --enrich the references are the stage functions alone in one process (validate,
normalise and the near-duplicate signature; no queue, no Redis) and pipelined XADD of the
same payloads. CPU µs per article (the worker's, Redis's, the stages') are printed too:
on a machine shared with other work they are steadier than the wall-clock rates. With
--enrich (2 workers by default) the reference is NER alone over the same texts in as
many processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._articles import generate_items
from pipeline.fetch.files.replay import replay_paths
from pipeline.models import RawItem
from pipeline.ops.localredis import start_redis
from pipeline.settings import Settings
from pipeline.workers.batch import process_items


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _write_items(folder: Path, n: int, english: bool = False) -> list[dict[str, Any]]:
    items = list(generate_items(n, english=english))
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item) + "\n")
    return items


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def measure_pipeline(
    settings: Settings, folder: Path, n: int, workers: int, enrich: bool, fork: bool = False
) -> tuple[float, list[float], float, float]:
    """Articles/s from the first enqueue to the last write, peak RSS per worker, and the
    CPU µs per article the workers and Redis spent meanwhile (what a busy machine's
    wall clock hides)."""
    env = {
        **os.environ,
        "PIPELINE_REDIS_URL": settings.redis_url,
        "PIPELINE_ENRICH": "true" if enrich else "false",
        "PIPELINE_BATCH_SIZE": str(settings.batch_size),
    }
    client = redis.Redis.from_url(settings.redis_url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "worker"]
            + (["--fork"] if fork else []),
            env=env,
        )
        for _ in range(workers)
    ]
    try:
        # workers register once their runtime (and model) is loaded
        deadline = time.monotonic() + 120
        while len(client.keys("rq:worker:*")) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start")
            time.sleep(0.1)
        time.sleep(0.5)
        cpu = [_cpu_seconds(p.pid) for p in procs]
        redis_cpu = _redis_cpu(client)
        start = time.perf_counter()
        replay_paths(client, settings, [folder])
        while client.xlen(settings.articles_stream) + client.xlen(settings.dead_stream) < n:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        worker_cpu = sum(_cpu_seconds(p.pid) - c for p, c in zip(procs, cpu, strict=True))
        redis_cpu = _redis_cpu(client) - redis_cpu
        peaks = [_peak_rss_mb(p.pid) for p in procs]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    dead = client.xlen(settings.dead_stream)
    if dead:
        print(f"warning: {dead} dead letters", file=sys.stderr)
    return n / elapsed, peaks, worker_cpu / n * 1e6, redis_cpu / n * 1e6


def measure_stages(items: list[dict[str, Any]], batch_size: int) -> tuple[float, float]:
    """Articles/s for validate + normalise + sign (no enrichment) in this process, and
    CPU µs per article."""
    raw = [RawItem.model_validate({**i, "kind": "jsonl"}).model_dump(mode="json") for i in items]
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(raw), batch_size):
        process_items(raw[i : i + batch_size], enricher=None)
    cpu = time.process_time() - cpu
    return len(raw) / (time.perf_counter() - start), cpu / len(raw) * 1e6


def measure_xadd(settings: Settings, items: list[dict[str, Any]], batch_size: int) -> float:
    """Articles/s for pipelined XADD of the same payloads (the Redis ceiling)."""
    processed = []
    raw = [RawItem.model_validate({**i, "kind": "jsonl"}).model_dump(mode="json") for i in items]
    for i in range(0, len(raw), batch_size):
        processed.extend(process_items(raw[i : i + batch_size], enricher=None).articles)
    payloads = [a.model_dump_json() for a in processed]
    client = redis.Redis.from_url(settings.redis_url)
    stream = settings.key("bench-xadd")
    start = time.perf_counter()
    for i in range(0, len(payloads), batch_size):
        with client.pipeline(transaction=False) as pipe:
            for body, article in zip(
                payloads[i : i + batch_size], processed[i : i + batch_size], strict=True
            ):
                pipe.xadd(stream, {"id": article.id, "v": "1", "article": body})
            pipe.execute()
    rate = len(payloads) / (time.perf_counter() - start)
    client.delete(stream)
    return rate


def _ner_worker(args: tuple[str, list[str], int]) -> int:
    from pipeline.enrich.nlp import load_nlp

    model, texts, batch = args
    nlp = load_nlp(model)
    for _ in nlp.pipe(texts, batch_size=batch):
        pass
    return len(texts)


def measure_ner_alone(texts: list[str], processes: int, model: str) -> float:
    """Articles/s for the NER pipeline alone over the same texts, in ``processes``."""
    chunks = [texts[i::processes] for i in range(processes)]
    ctx = mp.get_context("fork")
    with ctx.Pool(processes) as pool:
        pool.map(_ner_worker, [(model, chunk[:8], 8) for chunk in chunks])  # load the model
        start = time.perf_counter()
        pool.map(_ner_worker, [(model, chunk, 64) for chunk in chunks])
        return len(texts) / (time.perf_counter() - start)


def _require_enriched(settings: Settings) -> None:
    """A rate of articles that were never enriched (e.g. not taken for English) is no
    figure for enrichment: stop rather than print it."""
    client = redis.Redis.from_url(settings.redis_url)
    sample = client.xrange(settings.articles_stream, count=200)
    enriched = sum(1 for _, fields in sample if json.loads(fields[b"article"]).get("entities"))
    if enriched < len(sample) // 2:
        sys.exit(f"only {enriched} of {len(sample)} sampled articles carry entities")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=None, help="articles (default 20000; 2000 with --enrich)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (1; 2 with --enrich)"
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--enrich", action="store_true")
    parser.add_argument("--fork", action="store_true", help="forking workers (a child per job)")
    args = parser.parse_args()
    n = args.n or (2000 if args.enrich else 20000)
    workers = args.workers or (2 if args.enrich else 1)
    with tempfile.TemporaryDirectory() as tmp, start_redis() as url:
        folder = Path(tmp)
        items = _write_items(folder, n, english=args.enrich)
        settings = Settings(redis_url=url, batch_size=args.batch_size, enrich=args.enrich)
        rate, peaks, worker_us, redis_us = measure_pipeline(
            settings, folder, n, workers, args.enrich, args.fork
        )
        words = sum(len(i["text"].split()) for i in items) / n
        kind = "forking Worker" if args.fork else "SimpleWorker"
        print(
            f"articles: {n} (mean {words:.0f} words), {workers} x {kind}, batch {args.batch_size}"
        )
        print(f"peak worker memory: {', '.join(f'{p:.0f} MB' for p in peaks)}")
        if args.enrich:
            _require_enriched(settings)
            ner = measure_ner_alone([i["text"] for i in items], workers, settings.ner_model)
            print(
                f"throughput: {rate:.0f} articles/s; NER alone: {ner:.0f} articles/s "
                f"(ratio {rate / ner:.2f})"
            )
            return
        stages, stages_us = measure_stages(items, args.batch_size)
        xadd = measure_xadd(settings, items, args.batch_size)
        print(
            f"CPU per article: worker {worker_us:.0f} µs, Redis {redis_us:.0f} µs; "
            f"stages alone {stages_us:.0f} µs"
        )
        print(
            f"throughput: {rate:.0f} articles/s; stages alone: {stages:.0f} articles/s "
            f"(ratio {rate / stages:.2f}); XADD ceiling: {xadd:.0f} articles/s"
        )


if __name__ == "__main__":
    main()
