"""Article extraction through the whole pipeline, scored against labelled article bodies.

    python bench/extract.py --dir ../shared/benchdata/article_extraction

The data's pages are served from local HTTP servers on 20 loopback hosts (127.0.0.2 to
127.0.0.21); a feed of title-only items links to them. `pipeline fetch` and `pipeline
worker --burst` run as a user runs them, against a throw-away redis-server (enrichment
off, host delay 0: this measures extraction, bench/pages.py measures politeness), and
each article's `text` is read back from the stream and scored with the benchmark's
metric (4-word shingles, each page's counts normalised, averaged over pages). In the same
run, trafilatura alone (`trafilatura.extract(html)`, default settings) on the same HTML.
The last line is
``extraction: F1 A (precision P, recall R); trafilatura alone F1 B; N pages/s``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import trafilatura
from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _loopback import loopback_sites

from pipeline.ops.localredis import free_port, start_redis

_HOSTS = 20


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """4-token shingles of the ``\\w+`` tokens, with their counts."""
    tokens = re.findall(r"\w+", text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(0, len(tokens) - 3)))


def score(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float, float]:
    """(F1, precision, recall): per-page tp/fp/fn normalised by their sum, then averaged."""
    tp = fp = fn = 0.0
    pages = 0
    for name, body in truth.items():
        gold, guess = shingles(body), shingles(predicted.get(name, ""))
        shared = sum((gold & guess).values())
        extra, missing = sum(guess.values()) - shared, sum(gold.values()) - shared
        total = shared + extra + missing
        if not total:
            continue
        tp, fp, fn, pages = tp + shared / total, fp + extra / total, fn + missing / total, pages + 1
    tp, fp, fn = tp / pages, fp / pages, fn / pages
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall), precision, recall


def _feed(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link></item>"
        for title, link in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Bench</title>"
        f"<link>http://bench.test/</link>{entries}</channel></rss>"
    ).encode()


def _pipeline(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", *args], env=env, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="article_extraction folder")
    args = parser.parse_args()
    truth_file = json.loads((args.dir / "truth.json").read_text("utf-8"))
    pages = {
        path.name.split(".")[0]: gzip.decompress(path.read_bytes())
        for path in sorted((args.dir / "pages").glob("*.html.gz"))
    }
    truth = {name: truth_file[name]["articleBody"] for name in pages}
    print(f"pages: {len(pages)} on {_HOSTS} loopback hosts", file=sys.stderr)

    started = time.monotonic()
    reference = {name: trafilatura.extract(html) or "" for name, html in pages.items()}
    alone_seconds = time.monotonic() - started

    with start_redis(free_port()) as url, loopback_sites(_HOSTS) as sites:
        by_url: dict[str, str] = {}
        items = []
        for i, (name, html) in enumerate(pages.items()):
            link = sites[i % _HOSTS].add(f"/article/{name}", html)
            by_url[link] = name
            items.append((f"Article {i}", link))
        feed_url = sites[0].add("/feed.xml", _feed(items), "application/rss+xml")
        env = {
            **os.environ,
            "PIPELINE_REDIS_URL": url,
            "PIPELINE_FETCH_ALLOW_PRIVATE": "true",
            "PIPELINE_ENRICH": "false",
            "PIPELINE_PAGES_HOST_DELAY": "0",
        }
        with tempfile.TemporaryDirectory() as tmp:
            feeds = Path(tmp) / "feeds.txt"
            feeds.write_text(feed_url + "\n")
            started = time.monotonic()
            _pipeline(env, "fetch", "--feeds", str(feeds))
            _pipeline(env, "worker", "--burst")
            elapsed = time.monotonic() - started
        redis = Redis.from_url(url)
        predicted: dict[str, str] = {}
        sources: Counter[str] = Counter()
        for _, fields in redis.xrange("news:articles"):
            article = json.loads(fields[b"article"])
            predicted[by_url[article["url"]]] = article["text"]
            sources[article["text_source"]] += 1
        redis.close()

    f1, precision, recall = score(predicted, truth)
    alone = score(reference, truth)[0]
    print(f"articles in the stream: {len(predicted)} ({dict(sources)})", file=sys.stderr)
    print(
        f"trafilatura alone: {len(pages) / alone_seconds:.1f} pages/s in this process",
        file=sys.stderr,
    )
    print(
        f"extraction: F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f}); "
        f"trafilatura alone F1 {alone:.3f}; {len(pages) / elapsed:.0f} pages/s"
    )


if __name__ == "__main__":
    main()
