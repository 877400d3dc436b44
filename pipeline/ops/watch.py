"""``pipeline stats --watch``: the stats figures as a live terminal view (rich), readable in
80 columns: the hour's throughput as a sparkline, then one small table per section, packed
side by side as the width allows."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from pipeline.ops.web.sparkline import WRITTEN
from pipeline.telemetry.histograms import STAGES, HistogramCounts
from pipeline.telemetry.minutes import MinuteCounts

__all__ = ["SECTION_WIDTH", "latency_section", "spark_text", "stats_view"]

SECTION_WIDTH = 38  # two sections side by side in 80 columns
_TICKS = " ▁▂▃▄▅▆▇█"
_ALERT = {"dead letters", "failed", "failing", "gapped", "retries_exhausted"}


def spark_text(counts: Sequence[int]) -> str:
    """One character per count, scaled to the largest (a blank for zero)."""
    peak = max(counts, default=0)
    if not peak:
        return " " * len(counts)
    return "".join(
        _TICKS[0] if not n else _TICKS[max(1, round(n / peak * (len(_TICKS) - 1)))] for n in counts
    )


def _throughput(minutes: Sequence[MinuteCounts]) -> RenderableType:
    written = [m.get(*WRITTEN) for m in minutes]
    total, peak = sum(written), max(written, default=0)
    line = Text()
    line.append("last hour ", style="bold")
    line.append(f"{total} written, {sum(m.get('in') for m in minutes)} in, ")
    line.append(f"{sum(m.get('dead') for m in minutes)} dead; peak {peak}/min", style="dim")
    bar = Text(spark_text(written[-60:]), style="cyan")
    return Group(line, Text("│", style="dim") + bar + Text("│ now", style="dim"))


def _value(name: str, value: Any) -> Text:
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    text = Text(str(value))
    if isinstance(value, int) and value and any(word in name for word in _ALERT):
        text.stylize("bold red")
    return text


def _section(title: str, values: Mapping[str, Any]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        show_header=False,
        box=None,
        padding=(0, 1),
        width=SECTION_WIDTH,
    )
    table.add_column("name", style="dim", ratio=3, overflow="fold")
    table.add_column("value", justify="right", ratio=2, overflow="fold")
    for name, value in values.items():
        if isinstance(value, Mapping):  # consumer groups: per stream, one row per group
            for group, figures in value.items() or [("(no group)", None)]:
                table.add_row(f"{name} {group}", _group_value(figures))
            continue
        table.add_row(str(name), _value(str(name), value))
    return table


def _group_value(figures: Any) -> str:
    """A consumer group in a few characters: pending, and lag (or why not known)."""
    if not isinstance(figures, Mapping):
        return "-"
    lag = "?" if figures.get("lag") is None else figures["lag"]
    text = f"{figures.get('pending', 0)} pend, lag {lag}"
    if figures.get("trimmed_unread") or figures.get("trimmed_unread_possible"):
        text += " TRIMMED"
    return text


def latency_section(stages: Mapping[str, HistogramCounts]) -> dict[str, str]:
    """Mean time per article in each stage, since the counts began."""
    out = {}
    for stage in STAGES:
        counts = stages.get(stage)
        if counts and counts.count:
            out[stage] = f"{counts.sum / counts.count * 1000:.2f} ms"
        else:
            out[stage] = "-"
    return out


def stats_view(
    figures: Mapping[str, Mapping[str, Any]],
    minutes: Sequence[MinuteCounts],
    *,
    prefix: str,
    now: float | None = None,
) -> RenderableType:
    """The whole view: a title line, the sparkline, every section of ``figures``."""
    clock = time.strftime("%H:%M:%S", time.localtime(time.time() if now is None else now))
    title = Text.assemble(
        ("news-pipeline ", "bold"), (f"{prefix}  ", "dim"), (clock, ""), ("  Ctrl-C quits", "dim")
    )
    sections = [_section(name, values) for name, values in figures.items()]
    return Group(title, _throughput(minutes), Text(""), Columns(sections, padding=(1, 2)))
