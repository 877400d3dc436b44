"""Whatever an input holds, the stage returns an Article or raises InvalidInput."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InvalidInput
from pipeline.models import RawItem
from pipeline.normalize import normalize_item
from tests.unit.normalize.conftest import NOW

_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<script>", "</script>", "<b", ">", "<", "&amp;", "&#0;",
        "&#x110000;", "&bogus;", "JERUSALEM: ", "WASHINGTON (Reuters) - ", "Ã©", "â€œ",
        "\x93", "\x00", "\ud800", "\ufeff", "\r\n", "\n\n", " ", "word", "U.S.", "Mr.", ". ",
        "é", "\u0301", "\u2029", "<?xml version='1.0' encoding='utf-8'?>", "<!--", "-->",
    ]
)  # fmt: skip
_TEXT = st.lists(_PIECES, max_size=30).map("".join)
_URLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        [
            "https://e.x/\ud800",
            "http://[::1",
            "https://a.b:0/",
            "http://x.y:65536/",
            "HTTP://A.B/?a&&b==",
        ]
    ),
)
_DATES = st.one_of(
    st.none(),
    st.text(max_size=25),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "Mon, 01 Dec 99"]),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, title=st.one_of(st.none(), _TEXT), url=_URLS, published=_DATES)
def test_any_input_gives_an_article_or_invalid_input(
    text: str, title: str | None, url: str | None, published: str | None
) -> None:
    """No other exception escapes; what comes out serialises to JSON."""
    raw = RawItem(source="fuzz", kind="feed", text=text, title=title, url=url, published=published)
    try:
        article = normalize_item(raw, now=NOW)
    except InvalidInput as exc:
        assert exc.reason and exc.stage == "normalize" and exc.source == "fuzz"
        return
    assert article.text and article.text == article.text.strip()
    assert "<script" not in article.text
    article.model_dump_json()


def test_huge_single_paragraph_is_linear() -> None:
    """A 2 MB item with no line breaks is normalised in well under a second per MB."""
    text = "JERUSALEMx " + "word " * 400_000
    start = time.perf_counter()
    article = normalize_item(RawItem(source="big", kind="text", text=text), now=NOW)
    assert time.perf_counter() - start < 2.0
    assert article.word_count == 400_001
    assert article.title is not None and len(article.title) <= 120
