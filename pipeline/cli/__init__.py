"""The ``pipeline`` command: one group, one module of subcommands per concern.

The CLI holds no logic: it parses options, builds Settings, and calls the package.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.cli.app import cli
from pipeline.cli import enrich as _enrich  # noqa: F401  (registers commands)
from pipeline.cli import feeds as _feeds  # noqa: F401
from pipeline.cli import ingest as _ingest  # noqa: F401
from pipeline.cli import ops as _ops  # noqa: F401

__all__ = ["cli", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status instead of exiting (tests call this)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="pipeline", standalone_mode=False)
    except SystemExit as exc:  # click raises it for --help and exit codes
        return int(exc.code or 0)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        raise
    return 0
