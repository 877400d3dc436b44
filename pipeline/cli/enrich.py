"""``pipeline enrich``: enrich JSON lines without Redis."""

from __future__ import annotations

import sys
from typing import IO

import click

from pipeline.cli.app import cli, get_settings


@cli.command()
@click.option(
    "--in",
    "in_file",
    type=click.File("r", encoding="utf-8"),
    default="-",
    help="JSON lines to read (default: stdin).",
)
@click.option(
    "--out",
    "out_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write enriched JSON lines (default: stdout).",
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=64, show_default=True)
@click.option(
    "--model", envvar="PIPELINE_NER_MODEL", help="Installed spaCy pipeline [PIPELINE_NER_MODEL]."
)
@click.pass_context
def enrich(
    ctx: click.Context, in_file: IO[str], out_file: IO[str], batch_size: int, model: str | None
) -> None:
    """Enrich JSON lines {"id","text","published"} with entities and dates; one line out per
    line in, in order; a line that cannot be processed becomes {"id", "error"}."""
    # imported here: spaCy takes seconds to import, and every other command (the container
    # healthcheck `pipeline health` among them) must start without it
    from pipeline.enrich.enricher import Enricher
    from pipeline.enrich.jsonl import enrich_lines

    settings = get_settings(ctx, ner_model=model)
    enricher = Enricher(settings.ner_model, batch_size=batch_size)
    lines = (line.rstrip("\r\n") for line in in_file)
    try:
        for out in enrich_lines(lines, enricher, batch_size=batch_size):
            out_file.write(out + "\n")
            if out_file is sys.stdout:
                out_file.flush()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"cannot read the input: it is not UTF-8 ({exc})") from exc
