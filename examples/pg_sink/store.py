"""The sink's tables, the idempotent upsert of one article, and the queries users run.

One row per (article id, revision): a redelivered entry upserts the same row again, so the
sink holds each version once however often it is delivered. A copy (``duplicate_of``) is
its own row pointing at its original's id; ``cluster`` groups a story's copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pipeline.models import EnrichedArticle

__all__ = [
    "ArticleHit",
    "copies_of",
    "create_tables",
    "entity_articles",
    "store_article",
    "store_articles",
]

TABLES = """
CREATE TABLE IF NOT EXISTS articles (
    id            text        NOT NULL,
    revision      integer     NOT NULL,
    duplicate_of  text,                  -- the original's id when this is a copy
    cluster       text,                  -- the first-seen article of the story
    title         text,
    url           text,
    canonical_url text,
    source        text        NOT NULL,
    source_name   text,
    published     timestamptz,
    fetched       timestamptz NOT NULL,
    language      text,
    dateline      text,
    word_count    integer     NOT NULL,
    body          jsonb       NOT NULL,  -- the article as received, every field
    stored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, revision)
);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of)
    WHERE duplicate_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE TABLE IF NOT EXISTS entities (
    article_id text    NOT NULL,
    revision   integer NOT NULL,
    name       text    NOT NULL,
    label      text    NOT NULL,
    aliases    text[]  NOT NULL,
    mentions   integer NOT NULL,
    PRIMARY KEY (article_id, revision, name, label),
    FOREIGN KEY (article_id, revision) REFERENCES articles (id, revision) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS entities_name ON entities (lower(name));
"""

_COLUMNS = (
    "id", "revision", "duplicate_of", "cluster", "title", "url", "canonical_url", "source",
    "source_name", "published", "fetched", "language", "dateline", "word_count", "body",
)  # fmt: skip

# the batch's rows first land in session-local tables emptied at commit
_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS articles_in
    (LIKE articles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMPORARY TABLE IF NOT EXISTS entities_in
    (LIKE entities) ON COMMIT DELETE ROWS;
"""

# a batch may hold the same (id, revision) twice (redelivered beside its first delivery):
# DISTINCT ON keeps one, as ON CONFLICT cannot touch a row twice in one statement
_MERGE = f"""
INSERT INTO articles ({", ".join(_COLUMNS)})
SELECT DISTINCT ON (id, revision) {", ".join(_COLUMNS)} FROM articles_in
ON CONFLICT (id, revision) DO UPDATE SET
    duplicate_of = EXCLUDED.duplicate_of, cluster = EXCLUDED.cluster,
    title = EXCLUDED.title, body = EXCLUDED.body;
INSERT INTO entities SELECT * FROM entities_in
ON CONFLICT (article_id, revision, name, label) DO NOTHING;
"""


def create_tables(conn: psycopg.Connection[Any]) -> None:
    """Create the tables and indexes unless they exist."""
    with conn.transaction():
        conn.execute(TABLES)


def _row(article: EnrichedArticle) -> dict[str, Any]:
    row = article.model_dump(
        include={
            "id", "revision", "duplicate_of", "cluster", "title", "url", "canonical_url",
            "source", "source_name", "published", "fetched", "language", "dateline",
            "word_count",
        }
    )  # fmt: skip
    row["body"] = Jsonb(article.model_dump(mode="json"))
    return row


def store_articles(conn: psycopg.Connection[Any], articles: list[EnrichedArticle]) -> None:
    """Upsert article versions and their entities, all in one transaction: rows go in by
    COPY to temporary tables, then one INSERT ... ON CONFLICT each (one commit and a few
    round trips per batch, whatever its size)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_STAGING)
        with cur.copy(f"COPY articles_in ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for article in articles:
                row = _row(article)
                copy.write_row([row[c] for c in _COLUMNS])
        with cur.copy(
            "COPY entities_in (article_id, revision, name, label, aliases, mentions) FROM STDIN"
        ) as copy:
            for a in articles:
                for e in a.entities:
                    copy.write_row((a.id, a.revision, e.name, e.label, e.aliases, len(e.mentions)))
        cur.execute(_MERGE)


def store_article(conn: psycopg.Connection[Any], article: EnrichedArticle) -> None:
    """Upsert one article version and its entities, in one transaction."""
    store_articles(conn, [article])


@dataclass(frozen=True)
class ArticleHit:
    """One article in a query result: its latest revision, and how many copies it has."""

    id: str
    revision: int
    title: str | None
    published: datetime | None
    url: str | None
    copies: int


def entity_articles(
    conn: psycopg.Connection[Any], name: str, start: datetime, end: datetime
) -> list[ArticleHit]:
    """Originals (not copies) that mention ``name`` (as its name or an alias, any case),
    published in [start, end), latest revision each, oldest first."""
    rows = conn.execute(
        """
        SELECT a.id, a.revision, a.title, a.published, a.url,
               (SELECT count(DISTINCT c.id) FROM articles c WHERE c.duplicate_of = a.id)
        FROM articles a
        WHERE a.duplicate_of IS NULL
          AND a.published >= %(start)s AND a.published < %(end)s
          AND a.revision = (SELECT max(b.revision) FROM articles b WHERE b.id = a.id)
          AND EXISTS (
              SELECT 1 FROM entities e
              WHERE e.article_id = a.id AND e.revision = a.revision
                AND (lower(e.name) = lower(%(name)s)
                     OR lower(%(name)s) = ANY (SELECT lower(x) FROM unnest(e.aliases) x)))
        ORDER BY a.published, a.id
        """,
        {"name": name, "start": start, "end": end},
    ).fetchall()
    return [ArticleHit(*row) for row in rows]


def copies_of(conn: psycopg.Connection[Any], original_id: str) -> list[str]:
    """Ids of the copies of an original article."""
    rows = conn.execute(
        "SELECT DISTINCT id FROM articles WHERE duplicate_of = %s ORDER BY id", (original_id,)
    ).fetchall()
    return [row[0] for row in rows]
