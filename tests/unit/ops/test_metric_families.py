"""Bounded host labels, and one word for why a feed poll failed."""

from __future__ import annotations

from pipeline.errors import PermanentFetchError, TransientFetchError
from pipeline.fetch.feeds.failures import classify_failure
from pipeline.fetch.feeds.records import POLL_OUTCOMES
from pipeline.fetch.http.body import BodyTooLarge
from pipeline.fetch.http.guard import AddressRefused
from pipeline.ops.metric_families import top_hosts

OK = frozenset({"page"})


def test_host_labels_are_the_busiest_and_the_most_failing_only() -> None:
    """500 hosts give at most 2 x 3 series here; a small host that fails is among them."""
    per_host = {f"h{i:03}.example": {"page": 1000 - i} for i in range(500)}
    per_host["tiny.example"] = {"page": 1, "robots": 4}
    per_host["flaky.example"] = {"page": 2, "no_body": 1}
    hosts = top_hosts(per_host, OK, most=3)
    assert hosts == [
        "h000.example",
        "h001.example",
        "h002.example",
        "tiny.example",
        "flaky.example",
    ]
    assert len(top_hosts(per_host, OK, most=10)) <= 20


def test_a_failed_poll_has_one_bounded_word() -> None:
    """Status first (429, 5xx, 4xx), then the kind of refusal, then permanent or not."""
    cases = {
        TransientFetchError("slow", status=429): "rate_limited",
        TransientFetchError("boom", status=503): "http_5xx",
        PermanentFetchError("gone", status=410): "http_4xx",
        AddressRefused("private"): "refused",
        BodyTooLarge("big"): "too_large",
        TransientFetchError("timed out"): "network",
        PermanentFetchError("not a feed"): "invalid",
        ValueError("bug"): "crashed",
    }
    for exc, word in cases.items():
        assert classify_failure(exc) == word
        assert word in POLL_OUTCOMES
