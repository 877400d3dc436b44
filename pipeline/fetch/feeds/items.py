"""The seen-item filter: skip a feed's items already enqueued unchanged, before the queue.

An item's identity within its feed is its GUID, else its canonical link, else its content.
Its fingerprint is a hash of what it says. Identity -> fingerprint is remembered for
``settings.seen_days`` (renewed each time the item is still in the feed), so an item
seen unchanged is skipped and an item whose content changed goes on as a revision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from redis import Redis
from w3lib.url import canonicalize_url

from pipeline.models import RawItem
from pipeline.settings import Settings

__all__ = ["SeenFilter", "filter_seen", "item_fingerprint", "item_identity", "mark_seen"]


def _digest(*parts: str) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


def item_fingerprint(item: RawItem) -> str:
    """A hash of the item's content: equal content, equal fingerprint."""
    return _digest(item.title or "", item.summary or "", item.text, item.url or "")


def item_identity(item: RawItem) -> str:
    """Who the item is within its feed: GUID, else canonical link, else its content."""
    if item.guid and item.guid.strip():
        return "guid:" + item.guid.strip()
    if item.url and item.url.strip():
        try:
            return "link:" + canonicalize_url(item.url.strip())
        except ValueError:
            return "link:" + item.url.strip()
    return "content:" + item_fingerprint(item)


@dataclass
class SeenFilter:
    """The result of filtering one feed's items: what goes on, and what to remember."""

    new: list[RawItem] = field(default_factory=list)
    changed: list[RawItem] = field(default_factory=list)
    skipped: int = 0
    known: int = 0  # distinct listed items seen before, changed or not: the overlap
    marks: dict[str, str] = field(default_factory=dict)  # redis key -> fingerprint

    @property
    def listed(self) -> int:
        """Distinct items in the listing."""
        return len(self.marks)

    @property
    def to_enqueue(self) -> list[RawItem]:
        """New and changed items, in feed order within each group."""
        return self.new + self.changed


def _seen_key(settings: Settings, feed_url: str, identity: str) -> str:
    return settings.key("feeditem", _digest(feed_url, identity))


def filter_seen(
    redis: Redis, settings: Settings, feed_url: str, items: Sequence[RawItem]
) -> SeenFilter:
    """Split a feed's items into new, changed and seen-unchanged, in one round trip."""
    result = SeenFilter()
    if not items:
        return result
    keyed: dict[str, tuple[RawItem, str]] = {}
    for item in items:
        key = _seen_key(settings, feed_url, item_identity(item))
        if key in keyed:  # the same item twice in one feed: the first one counts
            result.skipped += 1
            continue
        keyed[key] = (item, item_fingerprint(item))
    stored = redis.mget(list(keyed))
    for (key, (item, fingerprint)), old in zip(keyed.items(), stored, strict=True):
        result.marks[key] = fingerprint
        if old is None:
            result.new.append(item)
        elif old.decode() != fingerprint:
            result.changed.append(item)
            result.known += 1
        else:
            result.skipped += 1
            result.known += 1
    return result


def mark_seen(redis: Redis, settings: Settings, seen: SeenFilter) -> None:
    """Remember every item of the filtered feed (renewing the unchanged ones' expiry)."""
    if not seen.marks:
        return
    ttl = max(1, int(settings.seen_days * 86_400))
    with redis.pipeline(transaction=False) as pipe:
        for key, fingerprint in seen.marks.items():
            pipe.set(key, fingerprint, ex=ttl)
        pipe.execute()
