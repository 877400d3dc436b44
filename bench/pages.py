"""Page fetching against its politeness bound: synthetic pages on loopback hosts.

    python bench/pages.py [--pages 2000] [--hosts 20] [--delay 0.2] [--extract-in thread|process]

``--pages`` synthetic news pages of about 20 KB are served from ``--hosts`` local HTTP
servers (127.0.0.2 onwards); as many title-only items are queued for their page, and
`pipeline pages --burst` (a separate process, enrichment and NER not involved) fetches
and extracts them with PIPELINE_PAGES_HOST_DELAY=``--delay`` and one request per host at
a time. The politeness bound is hosts / delay pages per second. CPU per page is the user
and system time of the fetcher process and its extraction workers, divided by the pages.
In the same run, extraction alone (one process, the same pages). The last line is
``pages: X pages/s of a B pages/s politeness bound; C ms CPU per page``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _loopback import loopback_sites

from pipeline.fetch.pages.extract import extract_page
from pipeline.fetch.pages.route import route_items
from pipeline.models import RawItem
from pipeline.ops.localredis import free_port, start_redis
from pipeline.settings import Settings

_WORDS = [
    "minister",
    "council",
    "harbour",
    "election",
    "budget",
    "storm",
    "court",
    "market",
    "river",
    "bridge",
    "school",
    "hospital",
    "festival",
    "treaty",
    "railway",
    "museum",
    "airport",
    "village",
    "factory",
    "summit",
    "said",
    "would",
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "year",
    "week",
    "government",
    "people",
    "city",
]


def synthetic_page(rng: random.Random, n: int, size: int = 20_000) -> bytes:
    """A news page of about ``size`` bytes: navigation, an article, related links, footer."""
    nav = "".join(f"<li><a href='/section/{i}'>Section {i}</a></li>" for i in range(30))
    related = "".join(f"<li><a href='/story/{n}-{i}'>Related story {i}</a></li>" for i in range(20))
    paragraphs = []
    body_size = 0
    while body_size < size - 4_000:
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(40, 90)))
        paragraph = f"<p>{words.capitalize()}.</p>"
        paragraphs.append(paragraph)
        body_size += len(paragraph)
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Story {n} | Bench Times</title>"
        f"<meta property='article:published_time' content='2025-12-01T10:00:00Z'></head>"
        f"<body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>Story {n}</h1>{''.join(paragraphs)}</article>"
        f"<aside><h2>Related</h2><ul>{related}</ul></aside></main>"
        "<footer><p>Copyright Bench Times. All rights reserved.</p></footer></body></html>"
    ).encode()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--extract-in", choices=["process", "thread"], default="thread")
    args = parser.parse_args()
    rng = random.Random(9)
    pages = [synthetic_page(rng, n) for n in range(args.pages)]
    mean_kb = sum(map(len, pages)) / len(pages) / 1024
    bound = args.hosts / args.delay

    with start_redis(free_port()) as url, loopback_sites(args.hosts) as sites:
        settings = Settings(
            redis_url=url,
            fetch_allow_private=True,
            enrich=False,
            pages_host_delay=args.delay,
            pages_per_host=1,
            pages_max_backlog=10_000,
        )
        redis = Redis.from_url(url)
        items = [
            RawItem(
                source="bench",
                kind="feed",
                url=sites[n % args.hosts].add(f"/story/{n}", page),
                title=f"Story {n}",
                text=f"Story {n}",
            )
            for n, page in enumerate(pages)
        ]
        route_items(redis, settings, items)
        env = {
            **os.environ,
            "PIPELINE_REDIS_URL": url,
            "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
            "PIPELINE_PAGES_HOST_DELAY": str(args.delay),
            "PIPELINE_PAGES_PER_HOST": "1",
            "PIPELINE_PAGES_MAX_BACKLOG": "10000",
        }
        cpu_before = _children_cpu()
        started = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline",
                "--log-level",
                "WARNING",
                "pages",
                "--burst",
                "--extract-in",
                args.extract_in,
            ],
            env=env,
            check=True,
        )
        elapsed = time.monotonic() - started
        cpu = _children_cpu() - cpu_before
        outcomes = {k.decode(): int(v) for k, v in redis.hgetall("news:pages:outcomes").items()}
        redis.close()

    started = time.process_time()
    sample = pages[: min(500, len(pages))]
    for n, page in enumerate(sample):
        extract_page(page, f"http://bench.test/story/{n}")
    alone = len(sample) / (time.process_time() - started)

    done = outcomes.get("page", 0)
    print(
        f"pages: {len(pages)} of {mean_kb:.1f} KB on {args.hosts} hosts, delay {args.delay:g} s, "
        f"extraction in {args.extract_in} pool; outcomes {outcomes}",
        file=sys.stderr,
    )
    print(
        f"wall {elapsed:.1f} s (process start included); extraction alone: {alone:.0f} pages/s "
        f"on one core ({1000 / alone:.1f} ms per page)",
        file=sys.stderr,
    )
    print(
        f"pages: {done / elapsed:.0f} pages/s of a {bound:.0f} pages/s politeness bound; "
        f"{1000 * cpu / max(1, done):.1f} ms CPU per page"
    )


if __name__ == "__main__":
    main()
