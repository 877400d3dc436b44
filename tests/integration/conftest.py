"""Fixtures shared by the integration tests of feed fetching."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.integration.feeds_server import FeedServer, feed_server
from tests.integration.http_clients import AsyncClients, HttpClients, SyncClients


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A local feed server on 127.0.0.1 (the HTTP defence tests define their own)."""
    with feed_server() as srv:
        yield srv


@pytest.fixture(params=["sync", "async"])
def http(request: pytest.FixtureRequest) -> Iterator[HttpClients]:
    """The guarded client, synchronous (feeds) and asynchronous (pages): each test runs twice."""
    if request.param == "sync":
        yield SyncClients()
        return
    with asyncio.Runner() as runner:
        yield AsyncClients(runner)
