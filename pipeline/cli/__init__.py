"""The ``pipeline`` command: one group, one module of subcommands per concern. Nothing else
in the package imports it.

The CLI holds no logic: it parses options, builds Settings, and calls the package.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pipeline.cli import enrich as _enrich  # noqa: F401  (registers commands)
from pipeline.cli import feeds as _feeds  # noqa: F401
from pipeline.cli import ops as _ops  # noqa: F401
from pipeline.cli import pages as _pages  # noqa: F401
from pipeline.cli import run as _run  # noqa: F401
from pipeline.cli import web as _web  # noqa: F401
from pipeline.cli.app import cli
from pipeline.errors import ConfigurationError

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status instead of exiting (tests call this)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="pipeline",
            standalone_mode=False,
        )
    except SystemExit as exc:  # click raises it for --help and exit codes
        return int(exc.code or 0)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        return 1
    except ConfigurationError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except OutOfMemoryError as exc:
        click.echo(
            f"error: Redis refuses writes: OOM ({exc}). Raise its maxmemory, then run the same "
            "command again: what was already queued or written is not done twice.",
            err=True,
        )
        return 5
    except (RedisConnectionError, RedisTimeoutError) as exc:
        click.echo(f"error: lost the connection to Redis ({exc}); is it running?", err=True)
        return 3
    return 0
