"""A batch is written in parts: each item in exactly one part, in order, the last part small."""

from __future__ import annotations

import pytest

from pipeline.workers.jobs import PART, TAIL, split_parts


@pytest.mark.parametrize("n", [0, 1, TAIL, TAIL + 1, PART, PART + 1, 99, 100, 101, 1000])
def test_every_item_once_in_order_and_the_last_part_small(n: int) -> None:
    items = list(range(n))
    parts = split_parts(items)
    assert [item for part in parts for item in part] == items
    assert len(parts[-1]) <= TAIL
    assert all(0 < len(part) <= PART for part in parts) or n == 0


def test_an_empty_batch_is_one_empty_part() -> None:
    """The last (empty) part's write still replaces the payload with its marker."""
    assert split_parts([]) == [[]]
