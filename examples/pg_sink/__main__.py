"""python -m examples.pg_sink: run the sink, or query what it stored.

  python -m examples.pg_sink [--group G] [--until-idle S]     store articles until SIGTERM
  python -m examples.pg_sink query NAME [--from DATE] [--to DATE]   an entity's articles

Redis: PIPELINE_SINK_REDIS_URL (e.g. a read-only consumer user), else PIPELINE_REDIS_URL.
PostgreSQL: PIPELINE_SINK_DSN (default postgresql://127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

import psycopg
from redis import Redis

from examples.pg_sink.sink import run_sink, sink_dsn
from examples.pg_sink.store import create_tables, entity_articles
from pipeline.logs import configure_logging
from pipeline.settings import Settings


def _date(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.pg_sink", description=__doc__)
    parser.add_argument("--group", default=os.environ.get("PIPELINE_SINK_GROUP", "pg-sink"))
    parser.add_argument("--until-idle", type=float, help="stop after S seconds with nothing new")
    sub = parser.add_subparsers(dest="command")
    query = sub.add_parser("query", help="an entity's articles in a date range")
    query.add_argument("name")
    query.add_argument("--from", dest="start", type=_date, default=datetime(1900, 1, 1, tzinfo=UTC))
    query.add_argument("--to", dest="end", type=_date, default=datetime(2100, 1, 1, tzinfo=UTC))
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("PIPELINE_LOG_LEVEL", "INFO"))
    try:
        conn = psycopg.connect(sink_dsn(), autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"error: cannot reach PostgreSQL at {sink_dsn()} ({exc}); set PIPELINE_SINK_DSN",
              file=sys.stderr)  # fmt: skip
        return 3
    with conn:
        if args.command == "query":
            create_tables(conn)
            hits = entity_articles(conn, args.name, args.start, args.end)
            for hit in hits:
                when = hit.published.date().isoformat() if hit.published else "undated"
                copies = f" (+{hit.copies} copies)" if hit.copies else ""
                print(f"{when}  {hit.id}  r{hit.revision}  {hit.title}{copies}")
            print(f"{len(hits)} articles mention {args.name}", file=sys.stderr)
            return 0
        settings = Settings()
        url = os.environ.get("PIPELINE_SINK_REDIS_URL") or settings.redis_url
        summary = run_sink(Redis.from_url(url), conn, settings, group=args.group,
                           until_idle=args.until_idle)  # fmt: skip
        print(
            f"stored {summary.handled} articles; {summary.failed} failed deliveries, "
            f"{summary.dead_lettered} dead-lettered",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
