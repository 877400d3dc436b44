"""HTML to plain text with paragraphs kept; nothing executable survives."""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["html_to_text", "looks_like_html"]

# Known tag names, or any closing or self-closing tag ("</blink>", "<o:p/>"), so that
# plain text such as "a <- b" or "the <Reuters> tag" stays plain text.
_TAG = re.compile(
    r"</[a-zA-Z][\w:.-]{0,40}\s*>|<[a-zA-Z][\w:.-]{0,40}(?:\s[^<>]{0,2000})?/>"
    r"|<(?:!--|!doctype\b|/?(?:a|abbr|article|aside|audio|b|base|blockquote|body|br|button|"
    r"caption|center|cite|code|col|colgroup|dd|del|details|div|dl|dt|em|embed|figcaption|"
    r"figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|label|li|link|"
    r"main|mark|meta|nav|noscript|object|ol|option|p|picture|pre|q|s|script|section|select|"
    r"small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|"
    r"textarea|tfoot|th|thead|time|title|tr|u|ul|video|wbr)(?:\s[^<>]{0,2000})?/?>)",
    re.IGNORECASE,
)
# lxml refuses str input that declares an encoding.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)

# Dropped with their content: code, embedded documents, form controls, document metadata.
_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "head",
    "title",
    "button",
    "select",
    "textarea",
    "input",
    "canvas",
    "audio",
    "video",
    "map",
)
# Elements that end a paragraph; everything else flows inline.
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_CELLS = frozenset({"td", "th"})
# lxml's own HTML parser with plain elements: lxml.html's element classes cost a Python
# call per element. recover=True is the default: broken markup still yields its text.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


def looks_like_html(text: str) -> bool:
    """True when ``text`` contains markup (a known HTML tag, a comment or a doctype)."""
    return "<" in text and _TAG.search(text) is not None


def _inline(text: str) -> str:
    # Source line breaks inside HTML are just whitespace; only structure makes breaks.
    return text.replace("\r", " ").replace("\n", " ")


def html_to_text(html: str) -> str:
    """Visible text of an HTML document or fragment: blocks become blank-line paragraphs,
    ``<br>`` a line break, entities decoded; scripts, styles and attributes dropped."""
    html = _XML_DECLARATION.sub("", html, count=1)
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, ValueError):
        return ""
    if root is None:
        return ""
    etree.strip_elements(root, *_DROPPED, with_tail=False)
    parts: list[str] = []
    append = parts.append
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):
            continue
        tag = tag.lower()
        if event == "start":
            if tag in _BLOCKS:
                append("\n\n")
            elif tag == "br":
                append("\n")
            elif tag in _CELLS:
                append(" ")
            if element.text:
                append(_inline(element.text))
        else:
            if tag in _BLOCKS:
                append("\n\n")
            if element.tail:
                append(_inline(element.tail))
    return "".join(parts)
