"""A PostgreSQL database of its own for each sink test, on the real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from examples.pg_sink.sink import sink_dsn


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A fresh database on the server PIPELINE_SINK_DSN names, dropped afterwards; in CI a
    missing server fails the test instead of skipping it."""
    admin_dsn = sink_dsn()
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL at {admin_dsn}: the sink tests need one ({exc})")
        pytest.skip(f"no PostgreSQL at {admin_dsn}")
    name = f"sink_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        params: dict[str, Any] = conninfo_to_dict(admin_dsn)
        params["dbname"] = name
        try:
            yield make_conninfo(**params)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg(pg_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the test database."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn
