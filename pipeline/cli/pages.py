"""``pipeline pages`` (the page fetcher alone) and ``pipeline hosts`` (page fetching per
host)."""

from __future__ import annotations

import json
import time

import click

from pipeline.cli.app import cli, connect, get_settings
from pipeline.fetch.pages.records import read_hosts
from pipeline.signals import stop_on_signals

__all__ = ["hosts", "pages"]


@cli.command()
@click.option("--burst", is_flag=True, help="Stop once no page is queued, waiting or in flight.")
@click.option(
    "--extract-in",
    type=click.Choice(["process", "thread"]),
    default="thread",
    show_default=True,
    help="Run extraction in threads (one core, beside NER) or processes (every core).",
)
@click.pass_context
def pages(ctx: click.Context, burst: bool, extract_in: str) -> None:
    """Fetch the pages of queued links politely (robots.txt, per-host limits) and put the
    articles on the ingest queue. `pipeline worker` runs this too, unless --no-pages."""
    stop = stop_on_signals()  # before the imports: a container's PID 1 ignores unhandled SIGTERM
    from pipeline.fetch.pages.service import run_pages
    from pipeline.ops.metrics import serve_metrics

    settings = get_settings(ctx)
    redis = connect(settings)
    if not settings.pages:
        raise click.UsageError("PIPELINE_PAGES is off: page fetching is disabled")
    serve_metrics(redis, settings)
    started = time.monotonic()
    summary = run_pages(
        settings, burst=burst, stop=stop, pool="thread" if extract_in == "thread" else "process"
    )
    by_outcome = ", ".join(f"{n} {name}" for name, n in sorted(summary.outcomes.items()))
    click.echo(
        f"pages: {summary.pages} links done ({by_outcome or 'none'}), {summary.retries} retries "
        f"scheduled, {summary.enqueued.jobs} ingest jobs, {summary.dead_letters} dead letters "
        f"({time.monotonic() - started:.1f}s)"
    )


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per host.")
@click.pass_context
def hosts(ctx: click.Context, as_json: bool) -> None:
    """Page fetching per host: pages, fallbacks by reason, robots refusals, latency."""
    settings = get_settings(ctx)
    records = read_hosts(connect(settings), settings)
    if as_json:
        for record in records:
            click.echo(json.dumps(record.as_json()))
        return
    if not records:
        click.echo("no page fetched yet")
        return
    click.echo(f"{'host':<32} {'pages':>6} {'fallbk':>6} {'robots':>6} {'avg':>8} {'queued':>6}")
    for r in records:
        reasons = ", ".join(
            f"{name} {n}" for name, n in r.as_json()["fallbacks"].items() if n and name != "robots"
        )
        click.echo(
            f"{r.host[:32]:<32} {r.pages:>6} {r.fallbacks:>6} {r.outcomes.get('robots', 0):>6} "
            f"{_fmt_ms(r.average_ms):>8} {r.queued:>6}" + (f"  [{reasons}]" if reasons else "")
        )
        if r.last_error:
            click.echo(f"    last error: {r.last_error}")
