"""A consumer-group member in its own process, for the fault tests.

python -m tests.integration.consumers.member URL STREAM GROUP NAME LOG [--delay S]
[--hang-on ID]: handles entries with ``Consumer.run``, appending ``start <id>`` and
``done <id>`` lines to LOG around each (slow) handling; with ``--hang-on`` it never
returns from that article's handler (the test SIGKILLs it there)."""

from __future__ import annotations

import argparse
import time

import redis

from pipeline.models import EnrichedArticle
from pipeline.streams import Consumer


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "stream", "group", "name", "log"):
        parser.add_argument(name)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--hang-on")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    consumer = Consumer(redis.Redis.from_url(args.url), args.stream, args.group, args.name)

    def handle(article: EnrichedArticle) -> None:
        with open(args.log, "a") as log:
            log.write(f"start {article.id}\n")
            log.flush()
            if article.id == args.hang_on:
                time.sleep(3600)
            time.sleep(args.delay)
            log.write(f"done {article.id}\n")

    consumer.run(handle, count=args.count, block_ms=200)


if __name__ == "__main__":
    main()
