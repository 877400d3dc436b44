"""What must never reach the stream: scripts, event handlers, script URLs, markup in titles.

feedparser already sanitises HTML it recognises as such; this is the second layer, and
the only one for fields feedparser treats as plain text (which a consumer may still
render as HTML).
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

__all__ = ["clean_html", "plain_text", "safe_link"]

# Anything that might need the parse-and-scrub pass; most feed HTML matches none of it and
# is passed on untouched. Numeric and tab/colon character references are here because
# browsers decode them inside attributes ("jav&#x09;ascript:").
_DANGER = re.compile(
    r"<\s*/?\s*(script|style|iframe|object|embed|applet|frame|base|meta|link)\b"
    r"|\bon[a-z]+\s*=|script\s*:|data\s*:|\bstyle\s*=|&#|&(tab|newline|colon);",
    re.I,
)
# Elements whose content is code: dropped with everything inside.
_DROP_WITH_CONTENT = frozenset({"script", "style"})
# Elements that load or embed something: the tag goes, its (scrubbed) fallback text stays.
_UNWRAP = frozenset(
    {"iframe", "object", "embed", "applet", "frame", "frameset", "base", "meta", "link", "noscript"}
)
_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "background",
        "cite",
        "poster",
        "srcset",
        "xlink:href",
        "data",
        "codebase",
        "lowsrc",
        "dynsrc",
    }
)
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript):", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_TAG_LIKE = re.compile(r"<[A-Za-z/!?][^<>]*>")
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
_SPACES = re.compile(r"\s+")


def _fragment(html: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None


def _strip_tags(text: str) -> str:
    """Last resort when there is no tree: drop script/style blocks and anything tag-like."""
    return _TAG_LIKE.sub("", _SCRIPT_BLOCK.sub("", text))


def _unsafe_attribute(name: str, value: str) -> bool:
    value = _INVISIBLE.sub("", value).lower()
    if name.startswith("on"):
        return True
    if name in _URL_ATTRIBUTES and _BAD_SCHEME.match(value):
        return True
    return name == "style" and ("expression" in value or "url(" in value)


def _scrub(root: lxml.html.HtmlElement) -> None:
    """Drop script-like elements, event-handler attributes and script URLs, in place."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments and processing instructions
            if element is not root and element.getparent() is not None:
                element.drop_tree()
            continue
        tag = element.tag.lower()
        if element is not root and tag in _DROP_WITH_CONTENT:
            element.drop_tree()
            continue
        if element is not root and tag in _UNWRAP:
            element.drop_tag()
            continue
        for attribute in list(element.attrib):
            if _unsafe_attribute(attribute.lower(), element.attrib[attribute]):
                del element.attrib[attribute]


def clean_html(html: str) -> str:
    """``html`` without scripts, styles, event handlers or ``javascript:`` links."""
    if not _DANGER.search(html):
        return html
    root = _fragment(html)
    if root is None:
        return _strip_tags(html)
    _scrub(root)
    parts = [escape(root.text, quote=False)] if root.text else []
    parts += [lxml.html.tostring(child, encoding="unicode") for child in root]
    return "".join(parts)


def plain_text(value: str | None, *, is_html: bool = True) -> str | None:
    """Text with no markup, whitespace collapsed; None when nothing is left."""
    if not value:
        return None
    root = _fragment(value) if is_html and ("<" in value or "&" in value) else None
    if root is not None:
        _scrub(root)
        value = root.text_content()
    else:
        value = _strip_tags(value)
    value = _SPACES.sub(" ", value).strip()
    return value or None


def safe_link(link: str | None, base: str) -> str | None:
    """``link`` made absolute against ``base`` if it is http(s), else None."""
    if not link:
        return None
    try:
        absolute = urljoin(base, link.strip())
        scheme = urlsplit(absolute).scheme
    except ValueError:  # "http://[::1" and the like: urllib refuses what it cannot split
        return None
    return absolute if scheme in ("http", "https") else None
