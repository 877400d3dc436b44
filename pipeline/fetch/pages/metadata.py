"""What a page says about itself: language, canonical URL, publication date, authors and
title, from its markup (``<html lang>``, ``<link rel=canonical>``, ``<meta>`` tags, schema.org
JSON-LD). Pure: an lxml tree in, a :class:`PageMetadata` out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PageMetadata", "read_metadata"]

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenews",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)
# <meta> names and properties that carry the publication date, most specific first.
_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "pubdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "date",
)
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_JSONLD_MAX = 1_000_000  # characters of one JSON-LD block worth parsing


@dataclass(frozen=True)
class PageMetadata:
    """A page's own metadata; every field may be missing."""

    language: str | None = None
    canonical_url: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    title: str | None = None  # the article's headline (schema.org, Open Graph, Twitter)
    page_title: str | None = None  # <title>, often with the site's name
    headlines: list[str] = field(default_factory=list)  # every title the page gives itself


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _meta(tree: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        name = element.get("property") or element.get("name") or element.get("itemprop")
        content = _clean(element.get("content") or element.get("datetime"))
        if name and content:
            found.setdefault(name.strip().lower(), []).append(content)
    return found


def _jsonld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        if not text.strip() or len(text) > _JSONLD_MAX:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                yield node


def _is_article(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in names)


def _person_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for person in values:
        name = _clean(person.get("name")) if isinstance(person, dict) else _clean(person)
        if name and not name.startswith(("http://", "https://")):
            names.append(name)
    return names


def _language(tree: Any) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        for element in tree.iter("meta"):
            if (element.get("http-equiv") or "").lower() == "content-language":
                lang = element.get("content")
                break
    return _clean(lang.split(",")[0]) if lang else None


def _canonical(tree: Any, meta: dict[str, list[str]]) -> str | None:
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        if "canonical" in rel and _clean(element.get("href")):
            return _clean(element.get("href"))
    urls = meta.get("og:url")
    return urls[0] if urls else None


def read_metadata(tree: Any) -> PageMetadata:
    """The metadata of a parsed page (an ``lxml.html`` root element)."""
    meta = _meta(tree)
    articles = [node for node in _jsonld_objects(tree) if _is_article(node)]
    published = next(
        (_clean(a.get("datePublished")) for a in articles if a.get("datePublished")), None
    )
    if published is None:
        published = next((meta[name][0] for name in _DATE_META if name in meta), None)
    authors: list[str] = []
    for article in articles:
        authors += _person_names(article.get("author"))
    if not authors:
        for name in _AUTHOR_META:
            authors += _person_names(meta.get(name, []))
    headlines = [h for h in (_clean(a.get("headline")) for a in articles) if h]
    headlines += meta.get("og:title", []) + meta.get("twitter:title", [])
    element = next(tree.iter("title"), None)
    page_title = _clean(element.text_content()) if element is not None else None
    title = headlines[0] if headlines else None
    return PageMetadata(
        language=_language(tree),
        canonical_url=_canonical(tree, meta),
        published=published,
        authors=list(dict.fromkeys(authors)),
        title=title,
        page_title=page_title,
        headlines=list(dict.fromkeys([*headlines, *([page_title] if page_title else [])])),
    )
