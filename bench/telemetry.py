"""What recording telemetry costs a batch job: the pipelined round trip a worker makes after
each atomic write (stage and batch histograms, per-minute counts), against that write
itself and against the whole batch without enrichment, on a real redis-server.

    python bench/telemetry.py [--batches 200] [--size 100]

Prints, per batch of --size articles: the atomic write, the telemetry round trip, the
batch's normalisation, and the telemetry as a share of a batch without enrichment (with
enrichment it is smaller still: NER costs ~25 ms per article).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._articles import generate_text
from pipeline.ops.localredis import start_redis
from pipeline.settings import Settings
from pipeline.streams.writer import BatchWriter
from pipeline.telemetry.histograms import BATCH_ITEMS, BATCH_SECONDS, Observations
from pipeline.telemetry.record import write_records
from pipeline.workers.batch import process_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(14)
    with start_redis() as url:
        settings = Settings(redis_url=url, enrich=False)
        client = redis.Redis.from_url(url)
        writer = BatchWriter(client, settings)
        writes, records, stages = [], [], []
        for b in range(args.batches):
            items = [
                {
                    "source": "bench",
                    "kind": "text",
                    "title": f"t{b}-{i}",
                    "text": generate_text(rng),
                }
                for i in range(args.size)
            ]
            timings = Observations()
            started = time.perf_counter()
            processed = process_items(items, enricher=None, on_stage=timings.stage)
            stages.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = writer.write(processed.articles)
            writes.append(time.perf_counter() - started)
            timings.stage("write", writes[-1], len(processed.articles))
            timings.observe(BATCH_ITEMS, len(items))
            timings.observe(BATCH_SECONDS, stages[-1] + writes[-1])
            started = time.perf_counter()
            assert write_records(client, settings, timings, result.counts())
            records.append(time.perf_counter() - started)
    write_ms, record_ms, stage_ms = (1000 * statistics.median(x) for x in (writes, records, stages))
    share = record_ms / (write_ms + record_ms + stage_ms)
    print(
        f"batch of {args.size}: atomic write {write_ms:.2f} ms, telemetry {record_ms:.2f} ms, "
        f"normalisation {stage_ms:.1f} ms (medians of {args.batches}); "
        f"telemetry is {share:.1%} of a batch without enrichment"
    )


if __name__ == "__main__":
    main()
