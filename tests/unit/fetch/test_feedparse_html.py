"""The HTML clean-up applied to feed content and the plain-text rule for titles."""

from __future__ import annotations

import pytest

from pipeline.fetch.feeds.parse.sanitize import clean_html, plain_text


@pytest.mark.parametrize(
    "html",
    [
        '<p ONCLICK="steal()">x</p>',
        '<img src="x" onerror = "steal()">',
        '<a href="javascript:steal()">x</a>',
        '<a href=" JaVaScRiPt:steal()">x</a>',
        '<a href="jav&#x09;ascript:steal()">x</a>',
        '<a href="vbscript:steal()">x</a>',
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
        '<form action="javascript:steal()"><button formaction="javascript:x">b</button></form>',
        "<script>steal()</script>",
        "<SCRIPT src=//evil.example/x.js></SCRIPT>",
        "<style>body{background:url(javascript:steal())}</style>",
        '<div style="width: expression(steal())">x</div>',
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="evil.swf"></object><embed src="evil.swf">',
        "<svg><script>steal()</script></svg>",
    ],
)
def test_script_vectors_are_removed(html: str) -> None:
    """Nothing that could run code survives the clean-up."""
    cleaned = clean_html("before " + html + " after").lower()
    for bad in (
        "steal",
        "javascript",
        "vbscript",
        "data:",
        "<script",
        "<iframe",
        "<object",
        "<embed",
        "expression",
        "onerror",
        "onclick",
    ):
        assert bad not in cleaned
    assert cleaned.startswith("before")
    assert cleaned.endswith("after")


def test_harmless_html_is_returned_untouched() -> None:
    """Markup with nothing dangerous is not re-serialised at all."""
    html = '<p>A &amp; B <a href="https://ok.example/">link</a></p><br>'
    assert clean_html(html) is html


def test_text_around_removed_script_keeps_its_escaping() -> None:
    """Text before the first element stays valid HTML after the clean-up."""
    assert clean_html("a &lt; b & c <script>x()</script><b>d</b>") == "a &lt; b &amp; c <b>d</b>"


@pytest.mark.parametrize(
    ("value", "is_html", "expected"),
    [
        ("<b>Bold</b> move", True, "Bold move"),
        ("AT&amp;T &lt;3", True, "AT&T <3"),
        ("Hello<script>steal()</script> world", True, "Hello world"),
        ("  spaced \n\t out  ", True, "spaced out"),
        ("x < y and <i>z</i>", False, "x < y and z"),
        ("<style>p{}</style>", False, None),
        ("", True, None),
        (None, True, None),
    ],
)
def test_plain_text(value: str | None, is_html: bool, expected: str | None) -> None:
    """Titles lose every tag, keep their words, and decode entities when they are HTML."""
    assert plain_text(value, is_html=is_html) == expected
