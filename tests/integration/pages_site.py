"""Article pages and title-only feeds for the page fetching tests, served by LocalServer."""

from __future__ import annotations

from html import escape
from http.server import BaseHTTPRequestHandler

from tests.integration.http_server import LocalServer, send

__all__ = ["BODY", "article_html", "serve_article", "title_only_feed"]

BODY = [
    "Maria Silva, the mayor of Lisbon, said on Monday that the city would open three new "
    "tram lines before the summer, after two years of planning and a public consultation "
    "that drew more than forty thousand responses from residents across every district.",
    "The first line will run along the river from Belém to the Parque das Nações, a route "
    "that the transport authority Carris expects to carry about sixty thousand passengers "
    "a day once it is complete, relieving the crowded buses on the same corridor.",
    "Silva told reporters at the city hall that the project had been financed largely by "
    "European Union recovery funds, and that the remaining cost would be covered by the "
    "municipal budget without any increase in local taxes for households or small firms.",
    "Opposition councillors questioned the timetable, noting that earlier tram projects in "
    "Porto and Coimbra had run years behind schedule, and asked the mayor to publish the "
    "full engineering studies before construction begins in the old quarters of the city.",
    "The mayor promised that the studies would be released within a month and that the "
    "works would be phased so that no neighbourhood lost its existing bus service while "
    "the new lines were being laid, a concern raised repeatedly during the consultation.",
]


def article_html(
    title: str,
    paragraphs: list[str] = BODY,
    *,
    lang: str | None = "en",
    canonical: str | None = None,
    published: str | None = None,
    author: str | None = None,
) -> bytes:
    """A news page: navigation, the article, a footer and reader comments."""
    head = [f"<title>{escape(title)} | The Lisbon Courier</title>"]
    if canonical:
        head.append(f'<link rel="canonical" href="{escape(canonical)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if author:
        head.append(f'<meta name="author" content="{escape(author)}">')
    lang_attr = f' lang="{lang}"' if lang else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'>{''.join(head)}</head>"
        "<body><nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a>"
        "</nav><main><article>"
        f"<h1>{escape(title)}</h1>{body}</article></main>"
        "<footer><p>Copyright The Lisbon Courier. All rights reserved.</p></footer>"
        "</body></html>"
    ).encode()


def serve_article(server: LocalServer, path: str, page: bytes, **headers: str) -> None:
    """Serve ``page`` as text/html at ``path``."""

    def handler(req: BaseHTTPRequestHandler) -> None:
        send(req, page, headers={"Content-Type": "text/html; charset=utf-8", **headers})

    server.route(path)(handler)


def title_only_feed(items: list[tuple[str, str]], *, description: str | None = None) -> bytes:
    """An RSS feed of (title, link) items with no description (or the same one each)."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        + (f"<description>{escape(description)}</description>" if description else "")
        + "</item>"
        for title, link in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Courier</title><link>http://courier.test/</link>{entries}</channel></rss>"
    ).encode()
