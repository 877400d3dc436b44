"""HTML for the status page: Jinja2 templates with autoescaping on, so every string from a
feed, a page or a file (titles, names, reasons: hostile input) is escaped, and links keep
only http(s) URLs."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pipeline.ops.web.sparkline import sparkline
from pipeline.ops.web.views import Status

__all__ = ["render_content", "render_page"]

_env = Environment(
    loader=PackageLoader("pipeline.ops.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def safe_url(value: Any) -> str | None:
    """The URL when it is http(s) (a ``javascript:`` link from a feed is never a link)."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


def ago(value: float | None, now: float | None = None) -> str:
    """``3 min ago``, ``in 2 h``: a time relative to now."""
    if value is None:
        return "never"
    delta = (time.time() if now is None else now) - value
    words = _span(abs(delta))
    return "just now" if words == "0 s" else (f"{words} ago" if delta >= 0 else f"in {words}")


def _span(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def duration(seconds: float) -> str:
    """A wait in words (``0 s``, ``4 min``)."""
    return _span(max(0.0, seconds))


def when(value: str | None) -> str:
    """An ISO time from the stream as ``2025-12-01 14:03``."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def entry_time(entry_id: str) -> float | None:
    """When a stream entry was added (its id's milliseconds)."""
    try:
        return int(entry_id.split("-")[0]) / 1000
    except ValueError:
        return None


def top_entities(entities: Any, most: int = 12) -> list[dict[str, Any]]:
    """The most mentioned entities first."""
    if not isinstance(entities, list):
        return []
    valid = [e for e in entities if isinstance(e, dict) and e.get("name")]
    return sorted(valid, key=lambda e: -len(e.get("mentions") or []))[:most]


_env.filters.update(safe_url=safe_url, ago=ago, when=when, duration=duration)
_env.globals.update(entry_time=entry_time, top_entities=top_entities)


def _context(status: Status) -> dict[str, Any]:
    return {"s": status, "now": status.at, "spark": sparkline(status.minutes)}


def render_content(status: Status) -> str:
    """The page's changing part (what the script swaps in on refresh)."""
    return _env.get_template("content.html").render(_context(status))


def render_page(status: Status, *, nonce: str, refresh_seconds: int) -> str:
    """The whole page; ``nonce`` marks the one inline style and script the CSP allows."""
    return _env.get_template("page.html").render(
        _context(status), nonce=nonce, refresh_seconds=refresh_seconds
    )
