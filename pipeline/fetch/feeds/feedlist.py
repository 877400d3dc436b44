"""Reading the FEEDS file: an OPML export, or a plain list of URLs with optional settings.

Plain list, one feed per line::

    # comments and blank lines are ignored
    https://example.com/rss.xml
    https://example.org/atom  interval=15m  name="Example Org"

OPML: every ``<outline>`` with an ``xmlUrl`` attribute is a feed; its ``title`` (or
``text``) is the name. A file whose first non-blank character is ``<`` is OPML.

A bad line never stops the others: it is skipped and reported as a ``FeedListProblem``
with its line number. A file that cannot be read at all raises ``ConfigurationError``.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from pipeline.errors import ConfigurationError
from pipeline.fetch.feeds.parse.feed import neutralise_doctype

__all__ = [
    "FeedList",
    "FeedListProblem",
    "FeedSpec",
    "load_feeds",
    "parse_duration",
    "parse_feed_list",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_OPTIONS = ("interval", "name")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


@dataclass(frozen=True)
class FeedSpec:
    """One feed to poll, as the FEEDS file declares it."""

    url: str
    name: str | None = None
    interval: float | None = None  # seconds; pins the base interval instead of adapting it
    line: int | None = None

    @property
    def host(self) -> str:
        """The host name, lower case: the unit of the per-host concurrency limit."""
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class FeedListProblem:
    """A line of the FEEDS file that was skipped, and why."""

    line: int | None
    text: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class FeedList:
    """The feeds of a FEEDS file, the lines skipped, and the digest of its bytes."""

    feeds: list[FeedSpec] = field(default_factory=list)
    problems: list[FeedListProblem] = field(default_factory=list)
    digest: str = ""
    format: str = "list"


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``15m``, ``2h`` or ``1d``; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration (use e.g. 90s, 15m, 2h, 1d): {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


def _check_url(url: str) -> str | None:
    """Why ``url`` cannot be a feed, or None when it can."""
    if "://" not in url:
        return "not a URL (expected http://... or https://...)"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # each raises on a malformed URL
    except ValueError as exc:  # "http://[::1/feed", "http://[zz]/", "http://host:99999/"
        return f"not a valid URL ({exc}); correct it, e.g. http://[::1]:8080/feed"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http and https feeds are supported"
    if not host:
        return "URL has no host"
    return None


def _parse_line(number: int, raw: str) -> FeedSpec | FeedListProblem:
    text = raw.strip()
    try:
        # a comment starts at a '#' after whitespace, so URL fragments survive
        words = shlex.split(_TRAILING_COMMENT.sub("", text))
    except ValueError as exc:
        return FeedListProblem(number, text, f"cannot split line ({exc})")
    if not words or not words[0]:
        return FeedListProblem(number, text, "no URL on this line")
    url, options = words[0], words[1:]
    problem = _check_url(url)
    if problem:
        return FeedListProblem(number, text, problem)
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in _OPTIONS:
            return FeedListProblem(
                number, text, f"unknown option {option!r} (known: interval=15m, name=...)"
            )
        settings[key] = value
    interval = None
    if "interval" in settings:
        try:
            interval = parse_duration(settings["interval"])
        except ValueError as exc:
            return FeedListProblem(number, text, str(exc))
    return FeedSpec(url=url, name=settings.get("name") or None, interval=interval, line=number)


def _parse_plain(text: str) -> list[FeedSpec | FeedListProblem]:
    entries: list[FeedSpec | FeedListProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#"):
            entries.append(_parse_line(number, raw))
    return entries


def _parse_opml(data: bytes) -> list[FeedSpec | FeedListProblem]:
    # An OPML file is user input too: libxml2 still expands internal entities in
    # attributes, so the DOCTYPE is neutralised first, as for feeds.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(neutralise_doctype(data), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigurationError(f"FEEDS is not well-formed OPML: {exc}") from exc
    entries: list[FeedSpec | FeedListProblem] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        line = outline.sourceline
        if not url:
            if (outline.get("type") or "").lower() in ("rss", "atom"):
                entries.append(
                    FeedListProblem(
                        line,
                        etree.tostring(outline)[:200].decode("utf-8", "replace"),
                        "feed outline has no xmlUrl",
                    )
                )
            continue
        problem = _check_url(url)
        if problem:
            entries.append(FeedListProblem(line, url, problem))
            continue
        name = (outline.get("title") or outline.get("text") or "").strip() or None
        entries.append(FeedSpec(url=url, name=name, line=line))
    return entries


def parse_feed_list(data: bytes) -> FeedList:
    """Parse the bytes of a FEEDS file (OPML or plain list) into feeds and problems."""
    digest = hashlib.sha256(data).hexdigest()
    body = data.removeprefix(b"\xef\xbb\xbf")
    is_opml = body.lstrip().startswith(b"<")
    if is_opml:
        entries = _parse_opml(body)
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"FEEDS is not UTF-8 text: {exc}") from exc
        entries = _parse_plain(text)
    feeds: list[FeedSpec] = []
    problems: list[FeedListProblem] = []
    seen: dict[str, int | None] = {}
    for entry in entries:
        if isinstance(entry, FeedListProblem):
            problems.append(entry)
        elif entry.url in seen:
            problems.append(
                FeedListProblem(entry.line, entry.url, f"duplicate of line {seen[entry.url]}")
            )
        else:
            seen[entry.url] = entry.line
            feeds.append(entry)
    return FeedList(
        feeds=feeds, problems=problems, digest=digest, format="opml" if is_opml else "list"
    )


def load_feeds(path: Path) -> FeedList:
    """Read and parse the FEEDS file at ``path``; ConfigurationError if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read FEEDS file {path}: {exc.strerror or exc}") from exc
    return parse_feed_list(data)
