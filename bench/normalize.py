"""Cost of the normalisation stage per article, on generated 300-800-word news articles.

    python bench/normalize.py [--articles 2000] [--repeat 3]
    python bench/normalize.py --html-safety PATH/TO/feedparser_tests

Prints, for plain-text, HTML and mojibake articles, the cost of ``normalize_item`` per
article (median, 95th percentile, mean; CPU time) and the resulting articles/s in one
process, then the costs of the parts that dominate (language detection sample sizes, HTML
converters, ftfy) measured in the same run.

With ``--html-safety`` it instead parses feedparser's test feeds with feedparser's own
sanitiser off, runs every title, summary and content through ``clean_text`` and counts the
outputs that still hold a script/style/frame tag, an event-handler attribute, a
``javascript:`` URL or a CSS ``expression(``. Escaped markup meant as visible text ("the
&lt;blink&gt; tag") is text, not a leak.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import feedparser
import ftfy
import lxml.html
import py3langid
import py3langid.langid
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig

from pipeline.models import RawItem
from pipeline.normalize import normalize_item
from pipeline.normalize.html import html_to_text
from pipeline.normalize.language import SAMPLE_CHARS, preload
from pipeline.normalize.text import clean_text

NOW = datetime(2025, 12, 2, tzinfo=UTC)
_VOCABULARY = """
the a of to in and said on for that with was by as at from his her it an be has have
had would will not were is are officials government minister president talks deal
ceasefire security forces police election vote parliament court ruling economy
inflation prices market shares percent billion million year week month Monday Tuesday
Wednesday Thursday Friday Saturday Sunday agreement negotiations statement spokesman
according report reports people country countries city capital region border army
military attack attacks killed wounded hospital health ministry officials agency
company companies bank central interest rates growth trade tariffs exports imports
oil gas energy climate summit leaders meeting visit delegation foreign policy adviser
opposition party coalition campaign protest protesters rights group groups said told
reporters added warned expected plans plan new former current senior local national
international"""
WORDS = _VOCABULARY.split()
NAMES = """Benjamin Netanyahu|Joe Biden|Donald Trump|Emmanuel Macron|Olaf Scholz|Xi Jinping|
Steve Witkoff|Qatar|Egypt|Gaza|Israel|Washington|Brussels|the European Union|Hamas|
the United Nations|Reuters|Ukraine|Russia|China|Germany|France|Jerusalem|Doha""".replace(
    "\n", ""
).split("|")
CITIES = ["JERUSALEM:", "WASHINGTON (Reuters) -", "LONDON, Dec 1 (AP) —", "PARIS —", "DOHA:"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 28))]
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice(NAMES))
    if rng.random() < 0.3:
        i = rng.randrange(len(words) - 3)
        words[i] = "“" + words[i]
        words[i + 3] += "”"
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), f"{rng.randint(2, 95)}.{rng.randint(0, 9)}%")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", ",” he said."])


def _paragraphs(rng: random.Random) -> list[str]:
    target = rng.randint(300, 800)
    paragraphs: list[str] = []
    count = 0
    while count < target:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    paragraphs[0] = f"{rng.choice(CITIES)} {paragraphs[0]}"
    return paragraphs


def plain_item(rng: random.Random, i: int) -> RawItem:
    """A seed-like plain-text article."""
    return RawItem(
        source=f"bench/{i}.txt",
        kind="seed",
        text="\n\n".join(_paragraphs(rng)) + "\n",
        published="2025-12-01",
        published_provenance="seed_header",
    )


def html_item(rng: random.Random, i: int) -> RawItem:
    """A feed-like HTML article: markup, entities, links, a script and a tracking URL."""
    body = "".join(
        f'<p class="story">{html.escape(p, quote=False).replace(" said ", " <b>said</b> ", 1)}'
        f' <a href="https://example.com/{i}?utm_source=rss" onclick="track()">more</a></p>\n'
        for p in _paragraphs(rng)
    )
    return RawItem(
        source="https://example.com/feed.xml",
        kind="feed",
        text=f"<div><script>var t = {i};</script>{body}<p>&copy; Example&nbsp;News</p></div>",
        url=f"https://Example.com:443/news/{i}?utm_source=rss&fbclid=x{i}&id={i}#top",
        title=f"Talks &amp; <em>deal</em> number {i}",
        published="Mon, 01 Dec 2025 10:00:00 +0100",
        published_provenance="feed",
    )


def mojibake_item(rng: random.Random, i: int) -> RawItem:
    """A plain article whose UTF-8 was decoded as Windows-1252 somewhere upstream."""
    item = plain_item(rng, i)
    broken = item.text.encode("utf-8").decode("cp1252", errors="replace")
    return item.model_copy(update={"text": broken})


# CPU time of this process, not wall time: the figures stay comparable on a machine shared
# with other work. The stage is single-threaded, so on an idle core the two agree.
clock = time.process_time_ns


def item_costs_us(
    func: Callable[[RawItem], object], items: Sequence[RawItem], repeat: int
) -> list[float]:
    """The cost of every call of ``func`` on every item, ``repeat`` times, in microseconds."""
    costs = []
    for _ in range(repeat):
        for item in items:
            start = clock()
            func(item)
            costs.append((clock() - start) / 1e3)
    return costs


def per_item_us(func: Callable[[RawItem], object], items: Sequence[RawItem], repeat: int) -> float:
    """Median cost of ``func`` per item, in microseconds."""
    return statistics.median(item_costs_us(func, items, repeat))


def per_call_us(func: Callable[[], object], repeat: int, number: int) -> float:
    """Median cost of one call of ``func``, in microseconds."""
    costs = []
    for _ in range(repeat * number):
        start = clock()
        func()
        costs.append((clock() - start) / 1e3)
    return statistics.median(costs)


_EXECUTABLE = re.compile(
    r"<\s*/?\s*(?:script|style|iframe|object|embed|applet)\b|javascript:|\bon[a-z]+\s*=|"
    r"expression\s*\(",
    re.IGNORECASE,
)


def _strings(parsed: Any) -> Iterator[str]:
    for record in [parsed.feed, *parsed.entries]:
        for key in ("title", "subtitle", "summary", "description"):
            value = record.get(key)
            if isinstance(value, str) and value:
                yield value
        for content in record.get("content", []):
            if content.get("value"):
                yield content["value"]


def html_safety(path: Path) -> None:
    """Run every title, summary and content of feedparser's test feeds under ``path``
    (its sanitiser off) through ``clean_text``; count outputs with executable markup."""
    files = sorted(path.rglob("*.xml"))
    checked = risky_inputs = leaks = 0
    for file in files:
        parsed = feedparser.parse(str(file), sanitize_html=False, resolve_relative_uris=False)
        for value in _strings(parsed):
            checked += 1
            risky_inputs += bool(_EXECUTABLE.search(value))
            if _EXECUTABLE.search(clean_text(value)):
                leaks += 1
                print(f"LEAK {file.relative_to(path)}: {value[:100]!r}")
    print(
        f"html safety: {len(files)} feeds, {checked} strings, {risky_inputs} with executable "
        f"markup in the input, {leaks} with executable markup left after clean_text"
    )


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _inscriptis_text(raw: RawItem) -> str:
    return str(Inscriptis(lxml.html.document_fromstring(raw.text), ParserConfig()).get_text())


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--html-safety",
        type=Path,
        metavar="FEEDPARSER_TESTS",
        help="instead, check feedparser's test feeds for executable markup left by clean_text",
    )
    args = parser.parse_args(argv)
    if args.html_safety:
        html_safety(args.html_safety)
        return
    rng = random.Random(20251201)
    n = args.articles
    plain = [plain_item(rng, i) for i in range(n)]
    htmls = [html_item(rng, i) for i in range(n)]
    broken = [mojibake_item(rng, i) for i in range(max(1, n // 10))]
    words = statistics.mean(len(x.text.split()) for x in plain)
    print(f"{n} plain and {n} HTML articles, {words:.0f} words on average, {args.repeat} passes")

    def stage(item: RawItem) -> object:
        return normalize_item(item, now=NOW)

    rss_before, start = _rss_mb(), time.perf_counter()
    preload()
    print(
        f"language model load: {time.perf_counter() - start:.2f} s, "
        f"+{_rss_mb() - rss_before:.0f} MB resident"
    )
    results = {}
    for name, items in (("plain", plain), ("html", htmls), ("mojibake", broken)):
        item_costs_us(stage, items[:200], 1)  # warm-up: allocator, caches, branch history
        costs = item_costs_us(stage, items, args.repeat)
        median, mean = statistics.median(costs), statistics.fmean(costs)
        p95 = statistics.quantiles(costs, n=20)[-1]
        results[name] = mean
        print(
            f"normalize_item {name:>8}: median {median:7.1f} us, p95 {p95:7.1f} us, "
            f"mean {mean:7.1f} us = {1e6 / mean:6.0f} articles/s"
        )

    sample = clean_text(plain[0].text)
    for chars in (300, SAMPLE_CHARS, 600, 2000):
        cost = per_call_us(partial(py3langid.classify, sample[:chars]), args.repeat, 200)
        print(f"language sample {chars:>4} chars: {cost:7.1f} us")
    # What a float32 copy of py3langid's float16 model (+57 MB per process) would save.
    identifier = py3langid.langid._load_identifier()
    identifier.nb_ptc = identifier.nb_ptc.astype("float32")
    cost = per_call_us(partial(identifier.classify, sample[:SAMPLE_CHARS]), args.repeat, 200)
    print(f"language sample {SAMPLE_CHARS:>4} chars, float32 model: {cost:7.1f} us")
    lxml_cost = per_item_us(lambda x: html_to_text(x.text), htmls[:200], args.repeat)
    insc_cost = per_item_us(_inscriptis_text, htmls[:200], args.repeat)
    print(f"HTML to text: lxml walker {lxml_cost:.1f} us, inscriptis {insc_cost:.1f} us")
    fix = ftfy.TextFixerConfig(uncurl_quotes=False)
    ftfy_cost = per_item_us(lambda x: ftfy.fix_text(x.text, fix), plain[:100], args.repeat)
    print(f"ftfy on every clean article would add {ftfy_cost:.1f} us")
    print(
        f"normalize (CPU time, one process): plain {1e6 / results['plain']:.0f} articles/s, "
        f"html {1e6 / results['html']:.0f} articles/s"
    )


if __name__ == "__main__":
    main()
