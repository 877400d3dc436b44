"""``normalize_item``: the whole stage, on the seed file and on feed-like items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.errors import InvalidInput
from pipeline.models import RawItem
from pipeline.normalize import normalize_item
from tests.unit.normalize.conftest import NOW, SEED, resource

MakeRaw = Callable[..., RawItem]


def seed_item(source: str = "seeds/000_0f075809db5f86f0.txt") -> RawItem:
    """The seed file as the replay reader hands it over: text after the date header."""
    header, _, text = SEED.read_text(encoding="utf-8").partition("date 2025-12-01 ")
    assert header.strip() == ""
    return RawItem(
        source=source,
        kind="seed",
        text=text,
        published="2025-12-01",
        published_provenance="seed_header",
        fetched=NOW,
    )


def test_seed_file_is_normalised() -> None:
    """Dateline out, text from 'Israeli Prime Minister', date at midnight UTC, English."""
    article = normalize_item(seed_item(), now=NOW)
    assert article.dateline == "JERUSALEM"
    assert article.text.startswith("Israeli Prime Minister Benjamin Netanyahu sent")
    assert "JERUSALEM" not in article.text
    assert article.published == datetime(2025, 12, 1, tzinfo=UTC)
    assert article.published_provenance == "seed_header"
    assert article.published_warning is None
    assert article.language == "en"
    assert article.title is not None
    assert article.title.startswith("Israeli Prime Minister Benjamin Netanyahu sent a delegation")
    assert article.title.endswith("…") and len(article.title) <= 120
    assert article.url is None and article.canonical_url is None
    assert article.kind == "seed"
    assert article.model_dump(mode="json")["published"] == "2025-12-01T00:00:00Z"


def test_seed_paragraphs_and_word_count() -> None:
    """Paragraphs keep their blank-line separation; words are counted like a reader would."""
    article = normalize_item(seed_item(), now=NOW)
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 13
    assert paragraphs[-1].startswith("Israel's retaliatory military offensive in Gaza")
    assert article.word_count == len(article.text.split())
    assert 330 < article.word_count < 370


def test_seed_copied_under_another_name_is_the_same_article() -> None:
    """Identity comes from the content when there is no URL."""
    one = normalize_item(seed_item(), now=NOW)
    two = normalize_item(seed_item(source="drop/copy-of-seed.txt"), now=NOW)
    assert one.id == two.id
    assert one.fingerprint == two.fingerprint
    assert one.source != two.source


def test_same_text_reformatted_is_the_same_article() -> None:
    """CRLF, a BOM and extra spaces do not make a new article."""
    raw = seed_item()
    messy = "\ufeff" + raw.text.replace("\n", "\r\n").replace(". ", ".   ")
    assert normalize_item(raw.model_copy(update={"text": messy}), now=NOW).id == (
        normalize_item(raw, now=NOW).id
    )


def test_feed_item_with_html_and_tracking_url(make_raw: MakeRaw) -> None:
    """A feed item: HTML body and title cleaned, URL canonical, RFC 822 date in UTC."""
    raw = make_raw(
        kind="feed",
        source="https://example.com/feed.xml",
        text=resource("feed_item.html"),
        title="Talks resume &amp; <em>hopes</em> rise",
        summary="<p>Short <b>summary</b></p><p>in two&nbsp;parts</p>",
        url="HTTPS://Example.com:443/world/talks?utm_source=rss&id=9&fbclid=zz#top",
        published="Mon, 01 Dec 2025 10:00:00 +0100",
        published_provenance="feed",
        updated="2025-12-01T12:00:00+01:00",
        authors=["  Jane <b>Doe</b> "],
        categories=["World", "  "],
    )
    article = normalize_item(raw, now=NOW)
    assert article.title == "Talks resume & hopes rise"
    assert article.summary == "Short summary\n\nin two parts"
    assert article.url == "HTTPS://Example.com:443/world/talks?utm_source=rss&id=9&fbclid=zz#top"
    assert article.canonical_url == "https://example.com/world/talks?id=9"
    assert article.published == datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
    assert article.published_provenance == "feed"
    assert article.updated == datetime(2025, 12, 1, 11, 0, tzinfo=UTC)
    assert article.authors == ["Jane Doe"]
    assert article.categories == ["World"]
    assert "alert" not in article.text and "INJECTED" not in article.text


def test_url_identity_survives_tracking_and_text_edits(make_raw: MakeRaw) -> None:
    """One page shared with different tracking, its text edited, keeps one id."""
    one = normalize_item(make_raw(url="https://e.x/a?utm_source=x", text="First version."))
    two = normalize_item(make_raw(url="https://E.X:443/a?fbclid=1#c", text="Second version."))
    assert one.id == two.id
    assert one.fingerprint != two.fingerprint


def test_given_id_is_kept(make_raw: MakeRaw) -> None:
    """A JSONL line's id is the article id."""
    assert normalize_item(make_raw(id="story-42", url="https://e.x/a")).id == "story-42"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "ftp://f.example/a"]
)
def test_non_http_url_is_dropped_and_the_item_kept(make_raw: MakeRaw, url: str) -> None:
    """A URL that is not http(s) does not fail the item but never reaches the output
    (a consumer may render ``url`` as a link); identity falls back to the text."""
    article = normalize_item(make_raw(url=url))
    assert article.url is None
    assert article.canonical_url is None
    assert article.id == normalize_item(make_raw()).id


def test_future_date_is_kept_and_flagged(make_raw: MakeRaw) -> None:
    """A date two days ahead is not replaced by the fetch time, only flagged."""
    article = normalize_item(make_raw(published="2025-12-04T12:00:00Z"), now=NOW)
    assert article.published == datetime(2025, 12, 4, 12, 0, tzinfo=UTC)
    assert article.published_warning is not None
    assert "2 d in the future" in article.published_warning


def test_future_tolerance_is_configurable(make_raw: MakeRaw) -> None:
    """Within the given tolerance no warning is raised."""
    raw = make_raw(published="2025-12-02T12:30:00Z")
    assert normalize_item(raw, now=NOW).published_warning is not None
    assert (
        normalize_item(raw, now=NOW, future_tolerance=timedelta(hours=1)).published_warning is None
    )


def test_default_now_is_the_current_time(make_raw: MakeRaw) -> None:
    """Without ``now`` a date far in the future is still flagged."""
    assert normalize_item(make_raw(published="2999-01-01")).published_warning is not None


def test_missing_date_has_no_provenance(make_raw: MakeRaw) -> None:
    """No date: published None and provenance 'none', whatever the input claimed."""
    for published in (None, "", "   "):
        raw = make_raw(published=published, published_provenance="feed")
        article = normalize_item(raw)
        assert article.published is None and article.published_provenance == "none"


def test_unparsable_date_is_invalid_input_that_says_what_to_do(make_raw: MakeRaw) -> None:
    """The dead letter will say which value failed and which format to use."""
    with pytest.raises(InvalidInput) as caught:
        normalize_item(make_raw(published="xyz", source="drop/a.jsonl"))
    assert caught.value.reason.startswith("could not parse published date 'xyz': use ISO 8601")
    assert caught.value.stage == "normalize"
    assert caught.value.source == "drop/a.jsonl"


def test_unparsable_updated_date_is_dropped(make_raw: MakeRaw) -> None:
    """'updated' is secondary: an unreadable one is dropped, the article kept."""
    assert normalize_item(make_raw(updated="soon")).updated is None


@pytest.mark.parametrize(
    "text", ["", "   \r\n\t", "<html><body><script>alert(1)</script></body></html>", "\ufeff\u200b"]
)
def test_empty_body_is_invalid_input(make_raw: MakeRaw, text: str) -> None:
    """An item with no readable text can never be processed."""
    with pytest.raises(InvalidInput) as caught:
        normalize_item(make_raw(text=text, source="feed://x"))
    assert "empty body" in caught.value.reason
    assert caught.value.source == "feed://x"


def test_dateline_only_body_is_invalid_input(make_raw: MakeRaw) -> None:
    """A body that is nothing but a dateline has no text either."""
    with pytest.raises(InvalidInput):
        normalize_item(make_raw(text="JERUSALEM: "))


def test_given_title_is_kept_over_first_sentence(make_raw: MakeRaw) -> None:
    """A plain .txt file's first line is its title."""
    article = normalize_item(make_raw(kind="text", title=" The  Title\n", text="Body text here."))
    assert article.title == "The Title"


def test_html_title_only_markup_falls_back_to_first_sentence(make_raw: MakeRaw) -> None:
    """A title that cleans to nothing is treated as missing."""
    article = normalize_item(make_raw(title="<b> </b>", text="Talks resumed. More."))
    assert article.title == "Talks resumed"


def test_short_text_has_no_language(make_raw: MakeRaw) -> None:
    """Too little text: language None rather than a guess."""
    assert normalize_item(make_raw(text="OK.")).language is None


def test_article_serialises_to_json(make_raw: MakeRaw) -> None:
    """The article survives the JSON round trip the queue and stream use."""
    article = normalize_item(seed_item(), now=NOW)
    assert type(article).model_validate_json(article.model_dump_json()) == article


def test_ids_and_urls_lose_characters_that_cannot_be_written(make_raw: MakeRaw) -> None:
    """A lone surrogate or control character in an id, guid or URL cannot break the JSON."""
    article = normalize_item(
        make_raw(
            id=" a\ud800b ", guid="g\x00uid", url="https://e.x/p\u200bath\udcff", source="s\udc80"
        )
    )
    assert (article.id, article.guid, article.url, article.source) == (
        "ab",
        "guid",
        "https://e.x/path",
        "s",
    )
    article.model_dump_json()


def test_naive_now_means_utc(make_raw: MakeRaw) -> None:
    """A caller passing a naive 'now' gets the same answer as with UTC, not a TypeError."""
    raw = make_raw(published="2025-12-02T13:00:00Z")
    naive = normalize_item(raw, now=NOW.replace(tzinfo=None))
    assert naive.published_warning == normalize_item(raw, now=NOW).published_warning
    assert naive.published_warning is not None
