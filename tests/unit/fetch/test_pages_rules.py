"""Which items need their page, what a page says about itself, and where text came from."""

from __future__ import annotations

import pytest
from lxml import html

from pipeline.fetch.pages.extract import extract_page
from pipeline.fetch.pages.metadata import read_metadata
from pipeline.fetch.pages.need import needs_page
from pipeline.fetch.pages.result import is_html, same_site
from pipeline.models import RawItem
from pipeline.normalize import normalize_item

LONG = " ".join(["The council agreed the budget for next year after a long debate."] * 15)


def item(text: str, *, kind: str = "feed", url: str | None = "https://news.example/a") -> RawItem:
    return RawItem(source="s", kind=kind, text=text, url=url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "needed"),
    [
        ("Headline only", True),
        (LONG, False),
        (LONG + " …", True),
        (LONG + " [...]", True),
        (LONG + " <a href='/a'>Read more</a>", True),
        (LONG + " Continue reading...", True),
        (LONG + " We read more every day.", False),
    ],
)
def test_feed_items_short_or_cut_need_their_page(text: str, needed: bool) -> None:
    """Fewer than the minimum words, or a truncation marker at the end."""
    assert needs_page(item(text), 150) is needed


def test_only_feed_items_and_bare_links_need_a_page() -> None:
    """A file, a JSON line with text, an item without a link: never."""
    assert needs_page(item("", kind="jsonl"), 150)
    assert not needs_page(item("short text", kind="jsonl"), 150)
    assert not needs_page(item("short", kind="text"), 150)
    assert not needs_page(item("short", url=None), 150)
    done = item("short").model_copy(update={"text_source": "summary"})
    assert not needs_page(done, 150)


def test_metadata_from_json_ld_and_meta_tags() -> None:
    """JSON-LD first (date, authors, headline), <html lang>, rel=canonical."""
    page = html.fromstring(
        """<html lang="en-GB"><head><title>Story | Site</title>
        <link rel="canonical" href="https://news.example/story">
        <script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",
          "headline": "The story", "datePublished": "2025-12-01T08:00:00Z",
          "author": [{"@type": "Person", "name": "Ana Costa"}, "https://x.example/who"]}]}
        </script><script type="application/ld+json">{broken</script>
        <meta name="author" content="Someone Else"></head><body></body></html>"""
    )
    meta = read_metadata(page)
    assert (meta.language, meta.canonical_url) == ("en-GB", "https://news.example/story")
    assert (meta.published, meta.authors, meta.title) == (
        "2025-12-01T08:00:00Z",
        ["Ana Costa"],
        "The story",
    )


def test_extraction_keeps_paragraphs_and_drops_the_headline_and_comments() -> None:
    """The body's paragraphs, blank-line separated; the h1 is the title, not the text."""
    paragraphs = [f"Paragraph {n}: " + LONG for n in range(3)]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (
        "<html><head><title>Budget agreed | Courier</title></head><body><article>"
        f"<h1>Budget agreed</h1>{body}</article><div class='comments'><p>First!</p></div>"
        "</body></html>"
    ).encode()
    extracted = extract_page(page, "https://news.example/budget")
    assert extracted.text.split("\n\n") == paragraphs
    assert extracted.metadata.title == "Budget agreed"


def test_html_or_not_and_same_site() -> None:
    """Content-Type decides, the first bytes overrule it; same registrable domain."""
    assert is_html("text/html; charset=utf-8", b"<html>")
    assert not is_html("application/pdf", b"%PDF")
    assert not is_html("text/html", b"%PDF-1.7")
    assert is_html(None, b"  <!doctype html>")
    assert same_site("https://www.bbc.co.uk/a", "https://m.bbc.co.uk/b")
    assert not same_site("https://evil.example/a", "https://news.example/a")
    assert not same_site("https://co.uk/a", "https://bbc.co.uk/a")


def test_text_source_of_items_that_needed_no_page() -> None:
    """The input's own text is "feed"; a feed item whose text is its title is "title"."""
    whole = normalize_item(item(LONG))
    assert (whole.text_source, whole.page_error) == ("feed", None)
    title_only = RawItem(source="s", kind="feed", text="Budget agreed", title="Budget agreed")
    assert normalize_item(title_only).text_source == "title"


def test_a_canonical_link_urllib_cannot_split_is_dropped_not_raised() -> None:
    """A page declaring rel=canonical "http://[::1" keeps its article, without the link."""
    from pipeline.fetch.pages.extract import ExtractedPage
    from pipeline.fetch.pages.metadata import PageMetadata
    from pipeline.fetch.pages.result import page_item
    from pipeline.models import RawItem

    item = RawItem(source="https://feed.example/rss", kind="feed", text="Short.", title="T")
    page = ExtractedPage(
        text="A much longer body of the article, in words enough to be kept.",
        metadata=PageMetadata(canonical_url="http://[::1/story"),
    )
    kept = page_item(item, page, "https://news.example/story")
    assert kept is not None
    assert kept.text_source == "page"
    assert kept.page_canonical_url is None
