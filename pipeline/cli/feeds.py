"""``pipeline fetch``, ``pipeline schedule``, ``pipeline feeds``: feed commands."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import click

from pipeline.cli.app import cli, connect, get_settings
from pipeline.errors import ConfigurationError
from pipeline.fetch.feeds.feedlist import FeedList, load_feeds
from pipeline.fetch.feeds.fetcher import fetch_all, open_context
from pipeline.fetch.feeds.health import is_gapped, is_silent, list_health, load_many
from pipeline.fetch.feeds.report import format_health_table, health_records, summarize_outcomes
from pipeline.fetch.feeds.schedule import Scheduler, SchedulerLocked
from pipeline.ops.metrics import serve_metrics
from pipeline.signals import stop_on_signals

_FEEDS_HELP = (
    "FEEDS file: OPML, or one URL per line with optional interval=15m name=... [PIPELINE_FEEDS]."
)


_feeds_option = click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PIPELINE_FEEDS",
    required=True,
    help=_FEEDS_HELP,
)


_workers_option = click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Fetches at once, over all hosts.",
)
_per_host_option = click.option(
    "--per-host",
    type=click.IntRange(1, 64),
    envvar="PIPELINE_FETCH_PER_HOST",
    help="Fetches at once per host [PIPELINE_FETCH_PER_HOST, default 2].",
)


def _load(path: Path) -> FeedList:
    try:
        feed_list = load_feeds(path)
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from exc
    for problem in feed_list.problems:
        click.echo(f"{path}: skipped {problem}", err=True)
    if not feed_list.feeds:
        raise click.UsageError(f"{path} lists no usable feed")
    return feed_list


class SchedulerBusy(click.ClickException):
    """Another scheduler holds the lock and --exit-if-locked was given: exit status 4."""

    exit_code = 4


@cli.command()
@_feeds_option
@_workers_option
@_per_host_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@click.pass_context
def fetch(
    ctx: click.Context, feeds_path: Path, workers: int, per_host: int | None, as_json: bool
) -> None:
    """Fetch every feed in FEEDS once and enqueue the new items; say per feed what happened.
    Feeds that fail are reported and recorded in their health: the exit status stays 0."""
    settings = get_settings(ctx, fetch_per_host=per_host)
    feed_list = _load(feeds_path)
    redis = connect(settings)
    with open_context(settings, redis) as fetch_ctx:
        outcomes = fetch_all(fetch_ctx, feed_list.feeds, workers=workers)
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps({**dataclasses.asdict(outcome), "enqueued": outcome.enqueued}))
        else:
            click.echo(outcome.describe())
    if not as_json:
        click.echo(summarize_outcomes(outcomes))


@cli.command()
@_feeds_option
@_workers_option
@_per_host_option
@click.option(
    "--exit-if-locked",
    is_flag=True,
    help="Exit (status 4) instead of waiting when another scheduler runs.",
)
@click.option(
    "--lock-ttl",
    type=click.FloatRange(3, 3600),
    default=30.0,
    show_default=True,
    help="Seconds the scheduler lock outlives a scheduler that died.",
)
@click.pass_context
def schedule(
    ctx: click.Context,
    feeds_path: Path,
    workers: int,
    per_host: int | None,
    exit_if_locked: bool,
    lock_ttl: float,
) -> None:
    """Keep polling the feeds in FEEDS, each on its own adaptive interval with back-off;
    FEEDS is re-read when it changes (while it is missing, unreadable or lists no usable
    feed, the scheduler says so in its logs and waits); SIGTERM/SIGINT give the fetches in
    flight 3 s, then stop."""
    # handled from the start (a container's PID 1 ignores an unhandled SIGTERM); once the
    # scheduler exists, a signal also wakes it
    stop = stop_on_signals(threading.Event())
    settings = get_settings(ctx, fetch_per_host=per_host)
    redis = connect(settings)
    serve_metrics(redis, settings)
    with open_context(settings, redis) as fetch_ctx:
        scheduler = Scheduler(fetch_ctx, feeds_path, workers=workers, lock_ttl=lock_ttl)
        stop_on_signals(stop, also=scheduler.wake)
        scheduler.load_or_wait()
        try:
            summary = scheduler.run(stop, exit_if_locked=exit_if_locked)
        except SchedulerLocked as exc:
            raise SchedulerBusy(f"not started: {exc}") from exc
    if summary.lock_lost:
        raise click.ClickException("the scheduler lock was lost (another scheduler took over?)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array with every health field.")
@click.option("--silent", "only_silent", is_flag=True, help="Only feeds that have gone silent.")
@click.option("--failing", "only_failing", is_flag=True, help="Only feeds whose last poll failed.")
@click.option(
    "--gapped", "only_gapped", is_flag=True, help="Only feeds that lost items in the last day."
)
@click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Only the feeds of this FEEDS file (default: every feed ever polled).",
)
@click.pass_context
def feeds(
    ctx: click.Context,
    as_json: bool,
    only_silent: bool,
    only_failing: bool,
    only_gapped: bool,
    feeds_path: Path | None,
) -> None:
    """Each known feed's health, failing and gapped feeds first: last success, last error
    and why (with the server's Retry-After), failure weight, next poll, items/day, gaps
    (polls that found every listed item new: items probably missed); flags feeds gone
    silent compared with their usual rate. The filters combine (a feed matching any)."""
    settings = get_settings(ctx)
    feed_list = _load(feeds_path) if feeds_path else None
    redis = connect(settings)
    now = time.time()
    if feed_list is None:
        healths = list_health(redis, settings)
    else:
        healths = load_many(redis, settings, [f.url for f in feed_list.feeds])
    if only_silent or only_failing or only_gapped:
        healths = [
            h
            for h in healths
            if (only_silent and is_silent(h, now))
            or (only_failing and h.consecutive_failures > 0)
            or (only_gapped and is_gapped(h, now))
        ]
    if as_json:
        click.echo(json.dumps(health_records(healths, now), indent=2))
    else:
        click.echo(format_health_table(healths, now))
