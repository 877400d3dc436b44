"""End-to-end throughput: replay N generated articles through queue, worker(s) and the
atomic write on a real redis-server, with two references measured in the same run.

    python bench/throughput.py [--n 20000] [--rounds 10] [--workers 1] [--enrich]

Without --enrich the reference is the stage functions alone in one process (validate,
normalise and the near-duplicate signature; no queue, no Redis), and the articles go
through in rounds: each round replays its share end to end (from the first enqueue to
the last write), then runs the same share through the stages alone, so both halves of a
round's ratio see the same neighbours on a shared machine. The ratio printed is the
median of the rounds, with their range; CPU µs per article (the worker's, Redis's, the
stages') are printed too. Pipelined XADD of the same payloads is the Redis ceiling.
With --enrich (2 workers by default) the reference is NER alone over the same texts in
as many processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


def _steal_seconds() -> float:
    """CPU seconds the hypervisor gave to others while this machine's CPUs wanted to run
    (``steal`` in /proc/stat, all CPUs): on a shared host it is what moves the wall clock."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class Round:
    """One round of the end-to-end run: wall seconds, and the CPU seconds the workers and
    Redis spent meanwhile (what a busy machine's wall clock hides)."""

    seconds: float
    worker_cpu: float
    redis_cpu: float


class Workers:
    """``pipeline worker`` processes on the bench's Redis, started once for all rounds."""

    def __init__(self, settings: Settings, count: int, enrich: bool, fork: bool) -> None:
        env = {
            **os.environ,
            "PIPELINE_REDIS_URL": settings.redis_url,
            "PIPELINE_ENRICH": "true" if enrich else "false",
            "PIPELINE_BATCH_SIZE": str(settings.batch_size),
        }
        self.settings = settings
        self.client = redis.Redis.from_url(settings.redis_url)
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "worker"]
                + (["--fork"] if fork else []),
                env=env,
            )
            for _ in range(count)
        ]
        # workers register once their runtime (and model) is loaded
        deadline = time.monotonic() + 120
        while len(self.client.keys("rq:worker:*")) < count:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("workers did not start")
            time.sleep(0.1)
        time.sleep(0.5)

    def replay(self, folder: Path, landed: int, settings: Settings | None = None) -> Round:
        """Replay ``folder`` (in jobs of ``settings.batch_size``: the producer decides) and
        wait until ``landed`` entries (articles and dead letters, all rounds) are in the
        streams."""
        s, client = settings or self.settings, self.client
        cpu = [_cpu_seconds(p.pid) for p in self.procs]
        redis_cpu = _redis_cpu(client)
        start = time.perf_counter()
        replay_paths(client, s, [folder])
        while client.xlen(s.articles_stream) + client.xlen(s.dead_stream) < landed:
            time.sleep(0.002)  # a round lasts ~2 s: poll finely
        seconds = time.perf_counter() - start
        worker_cpu = sum(_cpu_seconds(p.pid) - c for p, c in zip(self.procs, cpu, strict=True))
        return Round(seconds, worker_cpu, _redis_cpu(client) - redis_cpu)

    def peaks(self) -> list[float]:
        return [_peak_rss_mb(p.pid) for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        dead = self.client.xlen(self.settings.dead_stream)
        if dead:
            print(f"warning: {dead} dead letters", file=sys.stderr)


def measure_stages(items: list[dict[str, Any]], batch_size: int) -> tuple[float, float]:
    """Seconds for validate + normalise + sign (no enrichment) in this process, in
    batches as the worker gets them, and the CPU seconds spent."""
    raw = [RawItem.model_validate({**i, "kind": "jsonl"}).model_dump(mode="json") for i in items]
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(raw), batch_size):
        process_items(raw[i : i + batch_size], enricher=None)
    return time.perf_counter() - start, time.process_time() - cpu


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


def _write_rounds(folder: Path, items: list[dict[str, Any]], rounds: int) -> list[Path]:
    """The items in ``rounds`` folders of one JSONL file each (written before timing)."""
    size = -(-len(items) // rounds)
    folders = []
    for r in range(rounds):
        part = folder / f"round-{r}"
        part.mkdir()
        with open(part / "articles.jsonl", "w", encoding="utf-8") as out:
            for item in items[r * size : (r + 1) * size]:
                out.write(json.dumps(item) + "\n")
        folders.append(part)
    return folders


def run_enrich(settings: Settings, folder: Path, n: int, workers: int) -> None:
    items = _write_items(folder, n, english=True)
    pool = Workers(settings, workers, enrich=True, fork=False)
    try:
        done = pool.replay(folder, n)
        peaks = pool.peaks()
    finally:
        pool.stop()
    words = sum(len(i["text"].split()) for i in items) / n
    print(
        f"articles: {n} (mean {words:.0f} words), {workers} x SimpleWorker, batch "
        f"{settings.batch_size}"
    )
    print(f"peak worker memory: {', '.join(f'{p:.0f} MB' for p in peaks)}")
    _require_enriched(settings)
    rate = n / done.seconds
    ner = measure_ner_alone([i["text"] for i in items], workers, settings.ner_model)
    print(
        f"throughput: {rate:.0f} articles/s; NER alone: {ner:.0f} articles/s "
        f"(ratio {rate / ner:.2f})"
    )


def run_rounds(
    settings: Settings,
    folder: Path,
    n: int,
    workers: int,
    rounds: int,
    fork: bool,
    compare: list[int] | None = None,
) -> None:
    """The end-to-end run in rounds; with ``compare``, the rounds take those batch sizes
    in turn (same workers, same minutes) and a median ratio is printed for each."""
    sizes = compare or [settings.batch_size]
    items = list(generate_items(n))
    folders = _write_rounds(folder, items, rounds)
    size = -(-n // rounds)
    kind = "forking Worker" if fork else "SimpleWorker"
    words = sum(len(i["text"].split()) for i in items) / n
    print(
        f"articles: {n} (mean {words:.0f} words) in {rounds} rounds, {workers} x {kind}, "
        f"batch {'/'.join(str(b) for b in sizes)}",
        flush=True,
    )
    pool = Workers(settings, workers, enrich=False, fork=fork)
    # the stages load their models on first use, here as in the worker's start-up
    measure_stages(items[:20], settings.batch_size)
    results: list[tuple[Round, float, float]] = []
    steal = [0.0, 0.0]  # seconds stolen during the end-to-end halves, the stages-alone halves
    cpus = os.cpu_count() or 1
    landed = 0
    try:
        for r, part in enumerate(folders):
            share = items[r * size : (r + 1) * size]
            landed += len(share)
            batch = sizes[r % len(sizes)]
            stolen = _steal_seconds()
            done = pool.replay(part, landed, settings.model_copy(update={"batch_size": batch}))
            stolen, between = _steal_seconds() - stolen, _steal_seconds()
            stage_seconds, stage_cpu = measure_stages(share, batch)
            stolen_alone = _steal_seconds() - between
            results.append((done, stage_seconds, stage_cpu))
            steal[0] += stolen
            steal[1] += stolen_alone
            print(
                f"round {r + 1} (batch {batch}): {len(share) / done.seconds:.0f} articles/s "
                "end to end, "
                f"{len(share) / stage_seconds:.0f} stages alone "
                f"(ratio {stage_seconds / done.seconds:.2f}); host steal "
                f"{stolen / done.seconds / cpus:.0%} vs {stolen_alone / stage_seconds / cpus:.0%}",
                flush=True,
            )
        peaks = pool.peaks()
    finally:
        pool.stop()
    if compare:
        for i, batch in enumerate(sizes):
            theirs = sorted(stage / done.seconds for done, stage, _ in results[i :: len(sizes)])
            print(
                f"batch {batch}: ratio median {statistics.median(theirs):.2f} over "
                f"{len(theirs)} rounds ({' '.join(f'{r:.2f}' for r in theirs)})"
            )
        return
    ratios = sorted(stage / done.seconds for done, stage, _ in results)
    wall = sum(done.seconds for done, _, _ in results)
    stages = sum(stage for _, stage, _ in results)
    us = 1e6 / n
    worker_us = sum(done.worker_cpu for done, _, _ in results) * us
    redis_us = sum(done.redis_cpu for done, _, _ in results) * us
    stages_us = sum(cpu for _, _, cpu in results) * us
    xadd = measure_xadd(settings, items[:size], settings.batch_size)
    print(f"peak worker memory: {', '.join(f'{p:.0f} MB' for p in peaks)}")
    print(
        f"CPU per article: worker {worker_us:.0f} µs, Redis {redis_us:.0f} µs; "
        f"stages alone {stages_us:.0f} µs (CPU ratio {stages_us / worker_us:.2f})"
    )
    print(
        f"host steal: {steal[0] / wall / cpus:.0%} of the CPUs' time end to end, "
        f"{steal[1] / stages / cpus:.0%} during the stages alone"
    )
    print(
        f"ratio by round: {' '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.2f}, range {ratios[0]:.2f}-{ratios[-1]:.2f})"
    )
    print(
        f"throughput: {n / wall:.0f} articles/s; stages alone: {n / stages:.0f} articles/s "
        f"(ratio {statistics.median(ratios):.2f}); XADD ceiling: {xadd:.0f} articles/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=None, help="articles (default 20000; 2000 with --enrich)"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="end-to-end/stages-alone rounds (without --enrich)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (1; 2 with --enrich)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="items per job (default: PIPELINE_BATCH_SIZE's default)",
    )
    parser.add_argument(
        "--compare-batch",
        default=None,
        help="batch sizes to alternate round by round, e.g. 100,200 (prints a median each)",
    )
    parser.add_argument("--enrich", action="store_true")
    parser.add_argument("--fork", action="store_true", help="forking workers (a child per job)")
    args = parser.parse_args()
    n = args.n or (2000 if args.enrich else 20000)
    workers = args.workers or (2 if args.enrich else 1)
    with tempfile.TemporaryDirectory() as tmp, start_redis() as url:
        batch = {"batch_size": args.batch_size} if args.batch_size else {}
        settings = Settings(redis_url=url, enrich=args.enrich, **batch)
        if args.enrich:
            run_enrich(settings, Path(tmp), n, workers)
        else:
            compare = (
                [int(b) for b in args.compare_batch.split(",")] if args.compare_batch else None
            )
            run_rounds(settings, Path(tmp), n, workers, max(1, args.rounds), args.fork, compare)


if __name__ == "__main__":
    main()
