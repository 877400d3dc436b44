"""Run feedparser's own test feeds through the real fetch path and count the outcomes.

    python bench/feedparser_corpus.py --dir ../shared/benchdata/feedparser_tests

Every file is served from a local HTTP server on 127.0.0.1 with the headers its comment
header names (``Header: Content-type: ...``), fetched with ``fetch_feed`` through the
address guard (only the server's own host:port allowed) and parsed with ``parse_feed``.
A file's ``Expect:`` line is read for its leading ``bozo`` / ``not bozo`` token only (it
is never evaluated). Expectations checked:

- no exception other than a FetchError escapes;
- a file expected to be bozo is refused with a reason, or kept with a warning;
- a file expected not to be bozo is neither refused nor warned about;
- every entry feedparser finds in a file comes out as an item (or is counted as skipped
  because it has no title, summary or content);
- no item carries ``<script``, ``javascript:``/``vbscript:`` or an ``on*=`` attribute
  (the ``sanitize`` folder is full of such attacks).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import threading
import time
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import feedparser

from pipeline.errors import FetchError
from pipeline.fetch.feeds.parse.feed import parse_feed
from pipeline.fetch.feeds.parse.jsonfeed import looks_like_json
from pipeline.fetch.http import FetchLimits, build_client, fetch_feed

__all__ = ["CorpusReport", "corpus_files", "expectation", "run_corpus"]

_HEADER = re.compile(r"^\s*Header:\s*([^:\r\n]+):[ \t]*(.*?)\s*$", re.M)
_EXPECT = re.compile(r"Expect:\s*(not\s+bozo|bozo)?", re.I)
_SCRIPTY = re.compile(r"<\s*script|javascript:|vbscript:|<[^>]*\son[a-z]+\s*=", re.I)
_SKIPPED = re.compile(r"(\d+) entries with no title, summary or content skipped")


def expectation(body: bytes) -> str | None:
    """'bozo', 'not bozo', or None when the Expect line does not start with either."""
    match = _EXPECT.search(body[:4096].decode("latin-1"))
    if match is None or match.group(1) is None:
        return None
    return "not bozo" if match.group(1).lower().startswith("not") else "bozo"


def served_headers(body: bytes) -> list[tuple[str, str]]:
    """The ``Header: Name: value`` lines of a test file's comment header."""
    head = body[:4096].decode("latin-1")
    return [(name.strip(), value) for name, value in _HEADER.findall(head)]


def corpus_files(directory: Path) -> list[Path]:
    """Every test feed under ``directory``, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".xml", ".json"))


@dataclass
class CorpusReport:
    """Outcome counts, and every file that did not behave as its expectation says."""

    files: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    with_items: int = 0
    items: int = 0
    entry_count_differs: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)
    scripted: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The printed summary."""

        def row(expect: str) -> str:
            counts = {o: n for (e, o), n in self.outcomes.items() if e == expect}
            total = sum(counts.values())
            parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
            return f"expected {expect}: {total} ({parts})"

        out = [
            f"files: {self.files}",
            row("not bozo"),
            row("bozo"),
            row("unstated"),
            f"well-formed files yielding entries: {self.with_items} ({self.items} items)",
            f"entry counts differing from feedparser: {len(self.entry_count_differs)}",
            f"exceptions escaped: {len(self.escaped)}",
            f"items still carrying script markup: {len(self.scripted)}",
            f"mismatches: {len(self.mismatches)}",
        ]
        listed = self.mismatches + self.entry_count_differs + self.escaped + self.scripted
        out += [f"  {m}" for m in listed]
        return out


@contextmanager
def serve(files: Sequence[Path], root: Path) -> Iterator[str]:
    """Serve ``files`` on 127.0.0.1 with their declared headers; yields the base URL."""
    table: dict[str, tuple[bytes, list[tuple[str, str]]]] = {}
    for path in files:
        body = path.read_bytes()
        table["/" + quote(path.relative_to(root).as_posix())] = (body, served_headers(body))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self) -> None:
            found = table.get(self.path)
            if found is None:
                self.send_error(404)
                return
            body, headers = found
            self.send_response(200)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _reference_entries(body: bytes, content_type: str | None) -> int:
    """How many entries the file holds: feedparser's count (it does not read JSON Feed)."""
    if looks_like_json(body):
        items = json.loads(body).get("items")
        return len(items) if isinstance(items, list) else 0
    headers = {"content-type": content_type} if content_type else {}
    return len(feedparser.parse(io.BytesIO(body), response_headers=headers).entries)


def run_corpus(files: Sequence[Path], root: Path) -> CorpusReport:
    """Fetch and parse every file through the real fetch path; count what happened."""
    report = CorpusReport(files=len(files))
    with serve(files, root) as base:
        port = base.rsplit(":", 1)[1]
        limits = FetchLimits(timeout=10, allowed_hosts=frozenset({f"127.0.0.1:{port}"}))
        with build_client(limits) as client:
            for path in files:
                name = path.relative_to(root).as_posix()
                body = path.read_bytes()
                expect = expectation(body) or "unstated"
                try:
                    response = fetch_feed(client, f"{base}/{quote(name)}", limits=limits)
                    content_type = response.headers.get("content-type")
                    parsed = parse_feed(
                        response.body or b"", feed_url=response.url, content_type=content_type
                    )
                except FetchError as exc:
                    report.outcomes[(expect, "refused")] += 1
                    if expect == "not bozo":
                        report.mismatches.append(
                            f"{name}: expected not bozo, refused: {exc.reason}"
                        )
                    elif not exc.reason:
                        report.mismatches.append(f"{name}: refused without a reason")
                    continue
                except Exception:
                    report.escaped.append(f"{name}: {traceback.format_exc(limit=-1).strip()}")
                    continue
                bozo_warning = parsed.warning is not None and parsed.warning.startswith(
                    "malformed feed"
                )
                outcome = "warned" if bozo_warning else "clean"
                report.outcomes[(expect, outcome)] += 1
                if expect == "not bozo" and bozo_warning:
                    report.mismatches.append(f"{name}: expected not bozo, warned: {parsed.warning}")
                if expect == "bozo" and not bozo_warning:
                    report.mismatches.append(f"{name}: expected bozo, parsed clean")
                for item in parsed.items:
                    fields = (item.title, item.summary, item.text, item.url, item.source_name)
                    if any(_SCRIPTY.search(value or "") for value in fields):
                        report.scripted.append(f"{name}: script markup in an item")
                skipped = _SKIPPED.search(parsed.warning or "")
                produced = len(parsed.items) + (int(skipped.group(1)) if skipped else 0)
                expected_entries = _reference_entries(body, content_type)
                if produced != expected_entries:
                    report.entry_count_differs.append(
                        f"{name}: feedparser finds {expected_entries} entries, we gave {produced}"
                    )
                if expect == "not bozo" and parsed.items:
                    report.with_items += 1
                    report.items += len(parsed.items)
    return report


def entity_bomb() -> bytes:
    """About 60 KB: one 10,000-character entity referenced 10,000 times (100 MB expanded)."""
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<!DOCTYPE rss [\n<!ENTITY big "' + b"A" * 10_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>Bomb</title><item><title>Boom</title>'
        b"<description>" + b"&big;" * 10_000 + b"</description></item></channel></rss>"
    )


def measure(label: str, parse: Callable[[], object]) -> str:
    """Wall time of one parse, then peak traced memory of another (tracing slows it)."""
    started = time.perf_counter()
    parse()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    parse()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return f"{label}: {elapsed * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB traced"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the counts; exit 1 when an exception escaped."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, required=True, help="feedparser_tests directory")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files (0: all)")
    parser.add_argument(
        "--raw-bomb",
        action="store_true",
        help="also parse the entity bomb with bare feedparser (seconds, hundreds of MB)",
    )
    args = parser.parse_args(argv)
    files = corpus_files(args.dir)
    if args.limit:
        files = files[: args.limit]
    started = time.perf_counter()
    report = run_corpus(files, args.dir)
    elapsed = time.perf_counter() - started
    for line in report.lines():
        print(line)
    bomb = entity_bomb()
    print(
        measure(
            f"entity bomb ({len(bomb) // 1024} KB) through parse_feed",
            lambda: parse_feed(bomb, feed_url="http://bomb.test/", content_type="text/xml"),
        )
    )
    if args.raw_bomb:
        print(
            measure(
                "same bomb through bare feedparser.parse",
                lambda: feedparser.parse(
                    io.BytesIO(bomb), response_headers={"content-type": "text/xml"}
                ),
            )
        )
    print(
        f"feedparser corpus: {report.files} files in {elapsed:.1f} s, "
        f"{len(report.escaped)} exceptions escaped, {len(report.mismatches)} mismatches"
    )
    return 1 if report.escaped or report.scripted else 0


if __name__ == "__main__":
    sys.exit(main())
