"""The throughput sparkline: per-minute counts to the geometry of an inline SVG (pure)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.telemetry.minutes import MinuteCounts

__all__ = ["WRITTEN", "Bar", "Sparkline", "sparkline"]

# the write outcomes that put an entry in the stream
WRITTEN = ("new", "duplicate", "near_duplicate", "revision")


@dataclass(frozen=True)
class Bar:
    """One minute: its bar's box and what a tooltip says."""

    x: float
    y: float
    width: float
    height: float
    label: str
    dead: bool  # dead letters in that minute


@dataclass(frozen=True)
class Sparkline:
    """Bars for articles written per minute, and the figures printed beside them."""

    width: int
    height: int
    bars: list[Bar]
    peak: int
    total: int
    items_in: int
    dead: int

    @property
    def per_minute(self) -> float:
        """Average articles written per minute over the span."""
        return self.total / len(self.bars) if self.bars else 0.0


def sparkline(minutes: Sequence[MinuteCounts], width: int = 600, height: int = 64) -> Sparkline:
    """Bars scaled to the busiest minute (a minute with anything written is never invisible)."""
    written = [m.get(*WRITTEN) for m in minutes]
    peak = max(written, default=0)
    slot = width / max(1, len(minutes))
    bars = []
    for i, (minute, count) in enumerate(zip(minutes, written, strict=True)):
        tall = 0.0 if not peak else max(2.0, (height - 2) * count / peak) if count else 0.0
        clock = time.strftime("%H:%M", time.gmtime(minute.start))
        label = (
            f"{clock} UTC: {count} written, {minute.get('in')} in, "
            f"{minute.get('repeat')} repeats, {minute.get('dead')} dead letters"
        )
        bars.append(
            Bar(
                x=round(i * slot + 1, 1),
                y=round(height - tall, 1),
                width=round(max(1.0, slot - 2), 1),
                height=round(tall, 1),
                label=label,
                dead=minute.get("dead") > 0,
            )
        )
    return Sparkline(
        width=width,
        height=height,
        bars=bars,
        peak=peak,
        total=sum(written),
        items_in=sum(m.get("in") for m in minutes),
        dead=sum(m.get("dead") for m in minutes),
    )
