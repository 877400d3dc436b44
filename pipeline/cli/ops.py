"""``pipeline tail``, ``consume``, ``stats``, ``dead list|retry``, ``health``."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from typing import Any, TypeVar

import click
from redis.exceptions import NoPermissionError, OutOfMemoryError, ReadOnlyError, ResponseError

from pipeline.cli.app import cli, connect, get_settings
from pipeline.cli.digest import digest, original_of
from pipeline.models import utc_now
from pipeline.ops.dismiss import drop_dead_letters
from pipeline.ops.retry import retry_dead_letters
from pipeline.ops.stats import collect_stats
from pipeline.settings import Settings
from pipeline.signals import stop_on_signals
from pipeline.streams import Consumer, StreamEntry, latest_entries
from pipeline.streams.command import CommandHandler
from pipeline.streams.deadletters import list_dead_letters

__all__ = ["consume", "dead", "health", "stats", "tail"]

F = TypeVar("F", bound=Callable[..., Any])


def _echo_entry(entry: StreamEntry, pretty: bool) -> None:
    click.echo(json.dumps(entry.as_json(), indent=2 if pretty else None, ensure_ascii=False))


def _stream_option(default: str) -> Callable[[F], F]:
    return click.option(
        "--stream",
        type=click.Choice(["articles", "dead"]),
        default=default,
        show_default=True,
        help="Which output stream.",
    )


@cli.command()
@_stream_option("articles")
@click.option("-n", "--count", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new entries as they arrive.")
@click.option("--pretty/--compact", default=True, show_default=True)
@click.option(
    "--digest",
    "as_digest",
    is_flag=True,
    help="A few readable lines per article (copies name their original) instead of JSON.",
)
@click.pass_context
def tail(
    ctx: click.Context, stream: str, count: int, follow: bool, pretty: bool, as_digest: bool
) -> None:
    """Print the latest entries of a stream."""
    settings = get_settings(ctx)
    redis = connect(settings)
    key = settings.articles_stream if stream == "articles" else settings.dead_stream

    def show(entry: StreamEntry) -> None:
        if as_digest and stream == "articles":
            article = entry.article()
            click.echo(digest(entry.entry_id, article, original_of(redis, settings, article)))
        else:
            _echo_entry(entry, pretty)

    last = "$"
    for entry in latest_entries(redis, key, count):
        show(entry)
        last = entry.entry_id
    while follow:
        response = redis.xread({key: last}, block=5000, count=100)
        for _key, items in response or []:
            for eid, fields in items:
                entry = StreamEntry(
                    eid.decode(), {k.decode(): v.decode() for k, v in fields.items()}
                )
                show(entry)
                last = entry.entry_id


@cli.command()
@click.option("--group", "-g", required=True, help="Consumer group name.")
@click.option("--name", help="Consumer name (default: host and process).")
@_stream_option("articles")
@click.option("--count", type=int, default=0, help="Stop after this many entries (0: run on).")
@click.option(
    "--claim-idle",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds after which a pending entry (another member's, or a failed one) is "
    "delivered again; longer than the slowest handling.",
)
@click.option(
    "--from-start/--from-new",
    default=True,
    show_default=True,
    help="Where a new group starts reading.",
)
@click.option(
    "--exec",
    "exec_cmd",
    metavar="CMD",
    help="Run CMD once per entry (split like a shell would, but no shell), the entry's "
    "JSON line on its standard input; exit 0 acknowledges, anything else is a failed "
    "delivery.",
)
@click.option(
    "--exec-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds before CMD is killed (a failed delivery).",
)
@click.option(
    "--max-deliveries",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Failed deliveries before an entry goes to the dead-letter stream (stage consume).",
)
@click.pass_context
def consume(
    ctx: click.Context,
    group: str,
    name: str | None,
    stream: str,
    count: int,
    claim_idle: float,
    from_start: bool,
    exec_cmd: str | None,
    exec_timeout: float,
    max_deliveries: int,
) -> None:
    """Read a stream as a consumer-group member: print each entry as a JSON line (or
    hand it to --exec CMD) and acknowledge it once done (at-least-once). An entry that
    fails --max-deliveries times, or is not valid, goes to the dead-letter stream;
    SIGTERM stops after the current entry."""
    settings = get_settings(ctx)
    redis = connect(settings)
    key = settings.articles_stream if stream == "articles" else settings.dead_stream
    consumer = Consumer(
        redis,
        key,
        group,
        name,
        claim_idle_ms=int(claim_idle * 1000),
        start="0" if from_start else "$",
        max_deliveries=max_deliveries,
        dead_stream=settings.dead_stream,
    )
    handler: Callable[[StreamEntry, Any], object]
    if exec_cmd:
        try:
            handler = CommandHandler(shlex.split(exec_cmd), exec_timeout)
        except ValueError as exc:
            raise click.UsageError(f"--exec: {exc}") from exc
    else:
        handler = _print_entry
    summary = consumer.run_entries(handler, limit=count)
    click.echo(
        f"{summary.handled} handled, {summary.failed} failed deliveries, "
        f"{summary.dead_lettered} dead-lettered, {summary.skipped} skipped",
        err=True,
    )


def _print_entry(entry: StreamEntry, _message: Any) -> None:
    click.echo(json.dumps(entry.as_json(), ensure_ascii=False))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--watch", is_flag=True, help="Keep the figures on screen, refreshed (Ctrl-C quits).")
@click.option(
    "--interval",
    type=click.FloatRange(0.2),
    default=2.0,
    show_default=True,
    help="--watch seconds.",
)
@click.pass_context
def stats(ctx: click.Context, as_json: bool, watch: bool, interval: float) -> None:
    """Stream lengths, queue depths, dead letters, duplicates, workers alive; --watch keeps
    them on screen with the last hour's throughput."""
    settings = get_settings(ctx)
    redis = connect(settings)
    if watch:
        if as_json:
            raise click.UsageError("--watch and --json do not go together")
        _watch_stats(redis, settings, interval)
        return
    figures = collect_stats(redis, settings)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for section, values in figures.items():
        click.echo(f"{section}:")
        for name, value in values.items():
            if isinstance(value, dict):  # consumer groups: per stream, per group
                for group, figures_of in value.items():
                    click.echo(f"  {name} {group}: {_group_line(figures_of)}")
                continue
            click.echo(f"  {name:<24} {value}")


def _group_line(g: dict[str, Any]) -> str:
    lag = "unknown (Redis < 7)" if g["lag"] is None else g["lag"]
    oldest = g["oldest_pending_seconds"]
    line = (
        f"{g['consumers']} consumers, {g['pending']} pending"
        + (f" (oldest {oldest:.0f}s)" if oldest is not None else "")
        + f", lag {lag}"
    )
    if g["trimmed_unread"]:
        line += f", TRIMMED UNREAD {g['trimmed_unread']}"
    elif g["trimmed_unread_possible"]:
        line += ", UNREAD ENTRIES MAY HAVE BEEN TRIMMED (position older than the stream)"
    if g["trimmed_pending"]:
        line += f", TRIMMED PENDING {g['trimmed_pending']}"
    if g["handed_back_waiting"]:
        line += f", {g['handed_back_waiting']} handed back by dead retry"
    return line


def _watch_stats(redis: Any, settings: Settings, interval: float) -> None:
    from rich.console import Console
    from rich.live import Live

    from pipeline.ops.watch import latency_section, stats_view
    from pipeline.telemetry.histograms import STAGE_SECONDS, read_histogram
    from pipeline.telemetry.minutes import read_minutes

    def view() -> Any:
        figures: dict[str, Any] = collect_stats(redis, settings)
        stages = read_histogram(redis, settings, STAGE_SECONDS)
        figures["latency per article (mean)"] = latency_section(stages)
        return stats_view(figures, read_minutes(redis, settings), prefix=settings.prefix)

    stop = stop_on_signals()
    with Live(view(), console=Console(), auto_refresh=False, screen=False) as live:
        while not stop.wait(interval):
            live.update(view(), refresh=True)


@cli.group()
def dead() -> None:
    """Inspect dead letters, re-enqueue them after a fix, or drop what can never be right."""


@dead.command("list")
@click.option("-n", "--count", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--stage", help="Only this stage (read, validate, normalize, enrich).")
@click.pass_context
def dead_list(ctx: click.Context, count: int, stage: str | None) -> None:
    """Print the latest dead letters: stage, reason, source, entry id."""
    settings = get_settings(ctx)
    for entry in list_dead_letters(connect(settings), settings, count=count, stage=stage):
        f = entry.fields
        click.echo(f"{entry.entry_id}  {f.get('at', '')}  [{f.get('stage')}] {f.get('source')}")
        click.echo(f"    {f.get('error')}: {f.get('reason')}")


_ENTRY_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")  # what XADD gave: milliseconds-sequence


def _entry_ids(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for entry_id in value:
        if not _ENTRY_ID.fullmatch(entry_id):
            raise click.BadParameter(
                f"{entry_id!r} is not a dead-letter entry id: use the ids `pipeline dead list` "
                "prints (like 1733000000000-0)"
            )
    return value


def _dead_selection(verb: str) -> Callable[[F], F]:
    """The dead letters a command acts on: entry ids, --all, or --stage S (one is needed)."""

    def apply(command: F) -> F:
        command = click.option("--stage", help="Only dead letters of this stage.")(command)
        command = click.option("--all", "every", is_flag=True, help=f"{verb} every dead letter.")(
            command
        )
        return click.argument("entry_ids", nargs=-1, callback=_entry_ids)(command)

    return apply


def _require_selection(entry_ids: tuple[str, ...], every: bool, stage: str | None) -> None:
    if not entry_ids and not every and not stage:
        raise click.UsageError("name entry ids, or use --all / --stage")


@dead.command("retry")
@_dead_selection("Retry")
@click.pass_context
def dead_retry(
    ctx: click.Context, entry_ids: tuple[str, ...], every: bool, stage: str | None
) -> None:
    """Re-enqueue dead letters (by entry id, or --all) after fixing their cause; each
    retried entry leaves the dead-letter stream, and fails back into it if still bad."""
    _require_selection(entry_ids, every, stage)
    settings = get_settings(ctx)
    result = retry_dead_letters(
        connect(settings), settings, entry_ids=list(entry_ids) or None, stage=stage
    )
    click.echo(
        f"re-enqueued {result.items} items from {result.retried} dead letters; "
        f"{result.unretriable} could not be retried (see the reasons above)"
    )


@dead.command("drop")
@_dead_selection("Drop")
@click.pass_context
def dead_drop(
    ctx: click.Context, entry_ids: tuple[str, ...], every: bool, stage: str | None
) -> None:
    """Delete dead letters you have read and will not retry (input that can never be
    right): each is logged as it goes; the same input read again is not reported again
    while its deduplication key lives (PIPELINE_SEEN_DAYS)."""
    _require_selection(entry_ids, every, stage)
    settings = get_settings(ctx)
    dropped = drop_dead_letters(
        connect(settings), settings, entry_ids=list(entry_ids) or None, stage=stage
    )
    click.echo(f"dropped {len(dropped)} dead letters")


class RedisRefusesWrites(click.ClickException):
    """Redis answers but will not take a write: exit status 5."""

    exit_code = 5


# what to do, by the error Redis gave (redis-py drops the code from the message)
_REFUSALS = {
    OutOfMemoryError: (
        "OOM",
        "Redis is at maxmemory (noeviction, on purpose: an evicted seen-key could double an "
        "article). Raise maxmemory or give Redis more memory; workers wait meanwhile",
    ),
    ReadOnlyError: ("READONLY", "this Redis is a read-only replica: point at the primary"),
    NoPermissionError: ("NOPERM", "this Redis user may not write the pipeline's keys"),
}


@cli.command()
@click.pass_context
def health(ctx: click.Context) -> None:
    """Exit 0 when Redis answers and takes writes (for container healthchecks), 3 when it
    does not answer, 5 when it answers but refuses writes (out of memory, read-only)."""
    settings = get_settings(ctx)
    redis = connect(settings)
    try:  # PING alone still answers when Redis is out of memory
        redis.set(settings.key("health"), utc_now().isoformat(), ex=60)
    except ResponseError as exc:
        code, advice = next(
            (v for cls, v in _REFUSALS.items() if isinstance(exc, cls)),
            (str(exc).split(" ", 1)[0], "see the Redis log"),
        )
        raise RedisRefusesWrites(f"Redis refuses writes: {code} ({exc}). {advice}.") from exc
    click.echo("ok")
