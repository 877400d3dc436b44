"""JSON Feed bodies become RawItems with the same rules as RSS and Atom."""

from __future__ import annotations

import pytest

from pipeline.errors import PermanentFetchError
from pipeline.fetch.feeds.parse.feed import parse_feed
from tests.conftest import RESOURCES

FEED_URL = "https://gazette.example/feed.json"


def test_json_feed_items_carry_every_field() -> None:
    """Title, absolute link, id, cleaned HTML, dates in UTC, authors, de-duplicated tags."""
    body = (RESOURCES / "feeds" / "jsonfeed_v11.json").read_bytes()
    feed = parse_feed(body, feed_url=FEED_URL, content_type="application/feed+json")
    assert feed.title == "Harbour Gazette JSON"
    assert feed.link == "https://gazette.example/"
    first, second = feed.items
    assert first.url == "https://gazette.example/news/ferry"
    assert first.guid == "https://gazette.example/news/ferry"
    assert first.title == "Ferry resumes"
    assert first.text == "<p>The ferry <b>resumed</b>.</p>"
    assert first.summary == "Ferry back."
    assert first.published == "2025-11-29T07:30:00Z"
    assert first.updated == "2025-11-29T09:00:00Z"
    assert first.authors == ["Ann Example"]
    assert first.categories == ["Transport", "Weather"]
    assert first.source_name == "Harbour Gazette JSON"
    assert second.guid == "42"
    assert second.url is None  # javascript: is no link
    assert second.text == "Plain text only, no title, no date."
    assert second.published is None
    assert second.authors == ["Gazette Staff"]  # the feed's authors stand in
    assert feed.warning == "1 entries with no title, summary or content skipped"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'{"version": "https://jsonfeed.org/version/1", "items": [',
            "malformed feed: invalid JSON",
        ),
        (b'{"name": "not a feed"}', "not a feed: JSON without a jsonfeed.org version"),
        (b"{" * 100_000, "malformed feed: invalid JSON"),
    ],
    ids=["truncated", "other-json", "deeply-nested"],
)
def test_bad_json_is_a_permanent_error(body: bytes, reason: str) -> None:
    """Broken JSON or JSON that is not a JSON Feed is refused with the reason."""
    with pytest.raises(PermanentFetchError) as caught:
        parse_feed(body, feed_url=FEED_URL, content_type="application/json")
    assert caught.value.reason.startswith(reason)
