"""A long replay hands idle workers its first job at once: batches are enqueued in groups
(one round trip each) that start at one batch and double, on a real redis-server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from pipeline.models import RawItem
from pipeline.queueing import enqueue_items, make_queue
from pipeline.settings import Settings

pytestmark = pytest.mark.integration


def _items(n: int, on_read: Callable[[int], None]) -> Iterator[RawItem]:
    for i in range(n):
        on_read(i)
        yield RawItem(source="bench", kind="text", title=f"Item {i}", text=f"Body of item {i}.")


def test_the_first_job_is_queued_before_the_second_batch_is_read(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(batch_size=10)
    queue = make_queue(redis_client, settings)
    queued_when_read: dict[int, int] = {}

    def on_read(i: int) -> None:
        if i % settings.batch_size == 0:  # the first item of each batch
            queued_when_read[i // settings.batch_size] = queue.count

    summary = enqueue_items(redis_client, settings, _items(40 * settings.batch_size, on_read))

    assert summary.jobs == 40 and summary.items == 400
    assert queue.count == 40
    # groups of 1, 2, 4, 8, 16, then 9: jobs queued before each batch's first item is read
    assert queued_when_read[1] == 1
    assert queued_when_read[3] == 3
    assert queued_when_read[7] == 7
    assert queued_when_read[15] == 15
    assert queued_when_read[31] == 31  # a group never grows past 16 jobs
    assert queued_when_read[32] == 31
    assert queued_when_read[0] == 0
