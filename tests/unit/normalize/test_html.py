"""HTML to text: paragraphs kept, nothing executable or hidden survives."""

from __future__ import annotations

import pytest

from pipeline.normalize.html import html_to_text, looks_like_html
from pipeline.normalize.text import clean_text
from tests.unit.normalize.conftest import resource


def test_feed_html_becomes_paragraphs_of_visible_text() -> None:
    """Blocks become paragraphs, <br> joins within one, <br><br> splits, entities decode."""
    text = clean_text(resource("feed_item.html"))
    assert text.split("\n\n") == [
        "Talks resume & hopes rise",
        "DOHA — Negotiators met on Monday, officials said, in the Qatari capital.",
        "Prices rose 5 % – the “biggest” jump since 2008. A second line of the same paragraph.",
        "First point",
        "Second point",
        "A closing remark in a div.",
        "And a last paragraph after a double break.",
    ]


@pytest.mark.parametrize(
    "hidden",
    [
        "INJECTED-SCRIPT",
        "alert",
        "javascript",
        "onclick",
        "onmouseover",
        "steal",
        "evil",
        "color: red",
        "comment",
        "Page title",
        "ENABLE-JAVASCRIPT",
        "IFRAME-FALLBACK",
        "ALT-TEXT",
        "<",
        ">",
    ],
)
def test_nothing_executable_or_invisible_survives(hidden: str) -> None:
    """Scripts, styles, handlers, javascript: URLs, comments, head and frames are gone."""
    assert hidden not in clean_text(resource("feed_item.html"))


def test_double_escaped_markup_is_treated_as_markup() -> None:
    """A feed that escaped its HTML twice still yields text, never literal tags."""
    text = clean_text(
        "&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;"
    )
    assert text == "Hello world"


@pytest.mark.parametrize(
    "raw", ["Inflation < 2% and growth > 1% -> good news", "a <- b", "the <Reuters> style"]
)
def test_plain_text_with_angle_brackets_is_not_html(raw: str) -> None:
    """Comparisons, arrows and bracketed words in plain text are not mistaken for tags."""
    assert not looks_like_html(raw)
    assert clean_text(raw) == raw


def test_unknown_tags_are_markup_when_closed() -> None:
    """Obsolete or custom elements ('<blink>', '<o:p/>') do not survive as literal tags."""
    assert clean_text("<blink>safe</blink> description<o:p/>") == "safe description"


def test_escaped_markup_meant_as_text_stays_text() -> None:
    """'History of the &lt;blink&gt; tag' in HTML is a sentence about a tag."""
    assert clean_text("<p>History of the &lt;blink&gt; tag</p>") == "History of the <blink> tag"


@pytest.mark.parametrize(
    "raw", ["<p>x</p>", "a<br/>b", "<!-- c -->x", "<DIV>x</DIV>", "<a href=x>y</a>"]
)
def test_markup_is_detected(raw: str) -> None:
    """Known tags in any case, self-closing tags and comments mark a text as HTML."""
    assert looks_like_html(raw)


def test_table_cells_are_separated() -> None:
    """Cells of a row do not run together into one word."""
    assert clean_text("<table><tr><td>Oil</td><td>$80</td></tr></table>") == "Oil $80"


def test_broken_and_empty_markup_do_not_crash() -> None:
    """Unclosed tags still give their text; an empty document gives ''."""
    assert clean_text("<p>unclosed <b>bold <i>text") == "unclosed bold text"
    assert html_to_text("") == ""
    assert html_to_text("<!-- only a comment -->") == ""
