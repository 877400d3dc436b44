"""Fixtures shared by the integration tests of feed fetching."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.feeds_server import FeedServer, feed_server


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A local feed server on 127.0.0.1 (the HTTP defence tests define their own)."""
    with feed_server() as srv:
        yield srv
