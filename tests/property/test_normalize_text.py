"""Normalisation on arbitrary input: an Article or InvalidInput, and clean-up that is
already done when it is run again."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.errors import InvalidInput
from pipeline.models import RawItem
from pipeline.normalize import normalize_item
from pipeline.normalize.html import looks_like_html
from pipeline.normalize.text import clean_line, clean_text
from tests.property.profiles import PROPERTY

NOW = datetime(2025, 12, 2, 12, 0, tzinfo=UTC)
# Characters clean-up treats specially (spaces, separators, invisibles, mojibake leads,
# combining marks, entity syntax), mixed with anything Unicode holds.
_TRICKY = st.sampled_from(
    [
        *" \t\n\r\x0b\x0c\x85\u2028\u2029\u00a0\u2009\u3000\u200b\ufeff\u00ad\x00\x7f\x93",
        *["Ã©", "â€œ", "Â", "é", "e\u0301", "\ud800", "&", "&amp;", "&#233;", "&#x110000;", ";"],
        *["#", "JERUSALEM:", " (Reuters) - ", "word", "U.S.", "Mr.", ". ", "\n\n", "ﬁ", "Ⅻ", "①"],
    ]
)
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=8)), max_size=40).map("".join)


@PROPERTY
@given(raw=_TEXT)
# Mojibake repair turned "Â " into a no-break space after the whitespace scan: kept.
@example(raw="0Â \x93")
# Repair and entity decoding left text that called for them again: cleaned to a fixpoint.
@example(raw="\x9dÂ\x80")
@example(raw="\x80Â\x91\n\nÂ\t\x93")
@example(raw="AT&amp;amp;T")
def test_cleaning_plain_text_twice_is_cleaning_it_once(raw: str) -> None:
    """For plain text (no markup), clean_text is idempotent, and so is clean_line."""
    if looks_like_html(raw):
        return
    once = clean_text(raw)
    assert clean_text(once) == once
    line = clean_line(raw)
    assert clean_line(line) == line


@PROPERTY
@given(
    text=st.one_of(_TEXT, st.text()),
    title=st.one_of(st.none(), _TEXT),
    url=st.one_of(st.none(), st.text(max_size=40), st.just("http://[::1/x")),
    published=st.one_of(st.none(), st.text(max_size=30), st.just("0001-01-01T00:00:00+14:00")),
)
def test_any_raw_item_gives_an_article_or_invalid_input(
    text: str, title: str | None, url: str | None, published: str | None
) -> None:
    """The stage's documented error is InvalidInput (stage normalize); nothing else
    escapes, and what it builds serialises."""
    raw = RawItem(source="prop", kind="feed", text=text, title=title, url=url, published=published)
    try:
        article = normalize_item(raw, now=NOW)
    except InvalidInput as exc:
        assert exc.stage == "normalize" and exc.reason
        return
    assert article.text == article.text.strip() and article.text
    article.model_dump_json()
