"""`pipeline consume --exec CMD`: one process per entry, exit 0 acknowledges."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.cli import main
from pipeline.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CHILD = Path(__file__).with_name("exec_child.py")


def _consume(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    return main(["--log-level", "ERROR", "consume", "--group", "hooks", *args])


def _cmd(log: Path, *extra: str) -> str:
    return shlex.join([sys.executable, str(CHILD), str(log), *extra])


def test_each_entry_goes_to_one_process_and_is_acknowledged(
    settings: Settings,
    redis_client: redis.Redis,
    write: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The entry's JSON line on stdin; exit 0 acknowledges it."""
    write(4)
    log = tmp_path / "ids with spaces.log"  # shlex split, no shell: the path stays whole
    assert _consume(settings, monkeypatch, "--exec", _cmd(log), "--count", "4") == 0
    assert log.read_text().split() == ["id0", "id1", "id2", "id3"]
    assert redis_client.xpending(settings.articles_stream, "hooks")["pending"] == 0


def test_a_failing_command_counts_as_a_failed_delivery_then_dead_letter(
    settings: Settings,
    redis_client: redis.Redis,
    write: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Exit status 3 on one entry, twice: it lands in news:dead; the others are acknowledged."""
    write(3)
    log = tmp_path / "ids.log"
    args = ["--exec", _cmd(log, "--fail-on", "id1"), "--max-deliveries", "2"]
    # 2 handled, 1 failed delivery, 1 dead letter
    assert _consume(settings, monkeypatch, *args, "--claim-idle", "0", "--count", "4") == 0
    assert sorted(log.read_text().split()) == ["id0", "id1", "id1", "id2"]
    [(_, letter)] = redis_client.xrange(settings.dead_stream)
    assert letter[b"stage"] == b"consume" and letter[b"error"] == b"CommandFailed"
    assert b"exited with status 3" in letter[b"reason"] and letter[b"group"] == b"hooks"
    assert redis_client.xpending(settings.articles_stream, "hooks")["pending"] == 0


def test_a_command_past_its_timeout_is_killed_and_counts_as_failed(
    settings: Settings,
    redis_client: redis.Redis,
    write: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """--exec-timeout kills the command; with --max-deliveries 1 the entry is dead-lettered."""
    write(2)
    log = tmp_path / "ids.log"
    args = ["--exec", _cmd(log, "--hang-on", "id0"), "--exec-timeout", "0.5"]
    started = time.monotonic()
    assert _consume(settings, monkeypatch, *args, "--max-deliveries", "1", "--count", "2") == 0
    assert time.monotonic() - started < 20
    assert log.read_text().split() == ["id1"]
    [(_, letter)] = redis_client.xrange(settings.dead_stream)
    assert b"was killed" in letter[b"reason"] and letter[b"article_id"] == b"id0"
