"""The terminal view of ``stats --watch``, rendered at 80 columns."""

from __future__ import annotations

from rich.console import Console

from pipeline.ops.watch import latency_section, spark_text, stats_view
from pipeline.telemetry.histograms import HistogramCounts
from pipeline.telemetry.minutes import MinuteCounts


def _render(width: int) -> str:
    minutes = [MinuteCounts(60 * i, {"new": i % 7, "in": 3}) for i in range(60)]
    figures = {
        "articles": {"written new": 12, "dead letters": 3},
        "queue": {"name": "news:ingest", "queued jobs": 0, "failed": 2},
        "feed gaps": {"items probably missed (estimated)": 45},
        "pages": {"paused_for_backlog": False, "retries_exhausted": 1},
    }
    console = Console(width=width, record=True, force_terminal=False)
    console.print(stats_view(figures, minutes, prefix="news:", now=0))
    return console.export_text()


def test_every_line_fits_80_columns_and_every_figure_is_there() -> None:
    """Sections sit side by side, nothing is cut off, booleans read as words."""
    text = _render(80)
    assert max(len(line) for line in text.splitlines()) <= 80
    for word in ("written new", "news:ingest", "paused_for_backlog", "retries_exhausted"):
        assert word in text
    assert "no" in text.split("paused_for_backlog")[1].splitlines()[0]
    assert "articles" in text.splitlines()[4] and "queue" in text.splitlines()[4]


def test_sparkline_scales_to_the_busiest_minute() -> None:
    """Zero is blank, the peak is the full block, small counts still show."""
    assert spark_text([0, 1, 8, 4]) == " ▁█▄"
    assert spark_text([0, 0]) == "  "
    assert spark_text([1, 100]) == "▁█"


def test_latency_is_the_mean_per_article_and_a_dash_when_unknown() -> None:
    """0.5 s over 100 articles is 5 ms each."""
    section = latency_section({"ner": HistogramCounts([("+Inf", 100)], 0.5, 100)})
    assert section["ner"] == "5.00 ms"
    assert section["read"] == "-"
