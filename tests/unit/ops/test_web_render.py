"""The status page's HTML: hostile text stays text, links stay http(s), the sparkline."""

from __future__ import annotations

import re

from pipeline.ops.web.render import ago, render_content, render_page, safe_url
from pipeline.ops.web.sparkline import sparkline
from pipeline.ops.web.views import (
    ArticleView,
    DeadLetterView,
    FeedView,
    GroupView,
    HostView,
    Status,
)
from pipeline.settings import Settings
from pipeline.telemetry.minutes import MinuteCounts

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NOW = 1_800_000_000.0


def _status() -> Status:
    settings = Settings()
    article = {
        "id": "a2",
        "title": EVIL,
        "url": "javascript:alert(1)",
        "source_name": EVIL,
        "published": "2025-12-01T00:00:00Z",
        "entities": [{"name": EVIL, "label": "PERSON", "mentions": [[0, 3]]}],
        "dates": [{"text": EVIL, "value": "2025-11-29"}],
        "duplicate_of": "a1",
        "duplicate_kind": "near",
        "similarity": 0.91,
    }
    return Status(
        at=NOW,
        settings=settings,
        counters={"new": 1, "duplicate": 0, "near_duplicate": 1},
        queue={"queued": 0, "running": 0, "scheduled": 0, "deferred": 0, "failed": 0},
        oldest_job_seconds=0.0,
        pages={"queued": 0, "in flight": 0, "retry waiting": 0},
        workers={"alive": 1, "busy": 0},
        streams={settings.articles_stream: 2, settings.dead_stream: 1},
        minutes=[MinuteCounts(int(NOW // 60 - 59 + i) * 60, {}) for i in range(60)],
        feed_states={"failing": 1, "gapped": 0, "silent": 0, "new": 0, "ok": 0},
        articles=[ArticleView("1800000000000-0", article, EVIL, "1799999999000-0")],
        feeds=[FeedView("https://f.example/", EVIL, "failing", EVIL, 503, 2, NOW - 60, NOW + 60)],
        hosts=[HostView(EVIL, "pages", 3, {"no_body": 2}, EVIL, NOW - 5)],
        dead=[DeadLetterView("1-0", "2025-12-01T00:00:00Z", "read", EVIL, "ValueError", EVIL)],
        groups=[GroupView(EVIL, 1, 3, None, "0-0")],
    )


def test_every_hostile_string_is_escaped() -> None:
    """Titles, names, reasons, hosts and group names from outside never become markup."""
    html = render_page(_status(), nonce="n0nce", refresh_seconds=10)
    assert "<img" not in html
    assert html.count("<script") == 1  # the page's own, carrying the nonce
    assert '<script nonce="n0nce">' in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "javascript:" not in html  # a feed's javascript: link is shown unlinked
    assert "onerror=alert(1)&gt;" in html


def test_a_copy_shows_its_original_and_how_close_it_is() -> None:
    """A near copy says so, with its similarity and the original's title and id."""
    html = render_content(_status())
    assert "near copy · 0.91" in html
    assert re.search(r"copy of\s+<q>&lt;script&gt;", html)
    assert "<code>a1</code>" in html
    assert "lag" in html and "unknown" in html  # a group whose lag Redis cannot tell


def test_links_keep_only_http_and_https() -> None:
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url(" JavaScript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url(None) is None


def test_relative_times() -> None:
    assert ago(NOW - 125, NOW) == "2 min ago"
    assert ago(NOW + 7200, NOW) == "in 2 h"
    assert ago(None, NOW) == "never"
    assert ago(NOW, NOW) == "just now"


def test_sparkline_scales_to_the_busiest_minute_and_marks_dead_letters() -> None:
    """Bars are proportional, a small minute stays visible, tooltips say the counts."""
    minutes = [
        MinuteCounts(0, {}),
        MinuteCounts(60, {"new": 100, "in": 100}),
        MinuteCounts(120, {"new": 1, "duplicate": 1, "dead": 2}),
        MinuteCounts(180, {"revision": 50}),
    ]
    spark = sparkline(minutes, width=400, height=62)
    empty, full, small, half = spark.bars
    assert (empty.height, full.height, half.height) == (0, 60, 30)
    assert small.height == 2  # 1.2 px would vanish: a minimum of 2
    assert small.dead and not full.dead
    assert spark.total == 152 and spark.peak == 100 and spark.dead == 2
    assert small.label == "00:02 UTC: 2 written, 0 in, 0 repeats, 2 dead letters"
