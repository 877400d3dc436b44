"""``pipeline web``: the read-only status page."""

from __future__ import annotations

import threading

import click

from pipeline.cli.app import cli, connect, get_settings
from pipeline.signals import stop_on_signals

__all__ = ["web"]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port to listen on.")
@click.option(
    "--refresh",
    type=click.IntRange(0, 3600),
    default=10,
    show_default=True,
    help="Seconds between the page's own refreshes (0: never).",
)
@click.pass_context
def web(ctx: click.Context, host: str, port: int, refresh: int) -> None:
    """Serve the status page: the latest articles with their entities and dates, counters
    and throughput over the last hour, failing feeds and hosts, dead letters, consumer
    groups. Read-only; nothing is loaded from outside the machine."""
    stop = stop_on_signals()  # before the imports: a container's PID 1 ignores unhandled SIGTERM
    from pipeline.ops.web.server import make_server

    settings = get_settings(ctx)
    server = make_server(connect(settings), settings, host, port, refresh)

    def stop_serving() -> None:
        stop.wait()
        server.shutdown()

    threading.Thread(target=stop_serving, daemon=True).start()
    click.echo(f"status page at {server.url} (Ctrl-C stops it)")
    server.serve_forever()
    server.server_close()
