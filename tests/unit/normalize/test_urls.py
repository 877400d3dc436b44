"""Canonical URLs: one spelling per page, tracking removed, junk rejected."""

from __future__ import annotations

import pytest

from pipeline.normalize.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # case of scheme and host, default ports, fragment
        ("HTTP://Example.COM:80/News/Story#comments", "http://example.com/News/Story"),
        ("https://EXAMPLE.com:443", "https://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        # tracking parameters of every kind, in any case; the rest sorted
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x&id=7&b=2",
            "https://example.com/a?b=2&id=7",
        ),
        (
            "https://example.com/a?fbclid=1&gclid=2&dclid=3&msclkid=4&mc_cid=5&mc_eid=6"
            "&_ga=7&igshid=8&yclid=9&ref_src=twsrc&CMP=share_btn_tw&smid=nytcore",
            "https://example.com/a",
        ),
        ("https://example.com/a?page=2&utm_term=x#top", "https://example.com/a?page=2"),
        # percent-encoding normalised, non-ASCII encoded, IDNA host
        ("https://example.com/a%7eb/c d?q=caf%c3%a9", "https://example.com/a~b/c%20d?q=caf%C3%A9"),
        ("https://Bücher.de/ä", "https://xn--bcher-kva.de/%C3%A4"),
        # credentials never kept; IPv6 literal kept bracketed
        ("https://user:secret@Example.com/a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        # surrounding white space
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_form(url: str, expected: str) -> None:
    """Spellings of one page map to one canonical URL."""
    assert canonical_url(url) == expected


def test_same_page_different_tracking_is_one_url() -> None:
    """A story shared via two campaigns is recognisably the same page."""
    a = canonical_url("https://news.example/story?id=1&utm_source=twitter#x")
    b = canonical_url("HTTPS://NEWS.example:443/story?fbclid=abc&id=1")
    assert a == b == "https://news.example/story?id=1"


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "not a url",
        "ftp://example.com/file",
        "mailto:desk@example.com",
        "javascript:alert(1)",
        "//example.com/relative",
        "http://",
        "http://[::1/broken",
        "http://example.com:99999/",
    ],
)
def test_non_http_or_unparsable_urls_have_no_canonical_form(url: str | None) -> None:
    """Anything that is not a usable http(s) URL gives None instead of failing."""
    assert canonical_url(url) is None
