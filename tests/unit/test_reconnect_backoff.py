"""The wait before a long-running loop starts again when Redis goes away."""

from __future__ import annotations

import time

from pipeline.connection import ReconnectBackoff


def test_waits_double_up_to_thirty_seconds() -> None:
    backoff = ReconnectBackoff()
    now = time.monotonic()
    assert [backoff.next_wait(now) for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_after_a_healthy_run_the_wait_starts_from_one_second_again() -> None:
    backoff = ReconnectBackoff()
    now = time.monotonic()
    for _ in range(4):
        backoff.next_wait(now)
    assert backoff.next_wait(now - ReconnectBackoff.HEALTHY_RUN - 1) == 1.0
