"""Consumer-group members that are gone leave the group, never with entries in hand:
real member processes, real signals, a real redis-server (and Redis 6.2 for the script)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.models import EnrichedArticle
from pipeline.settings import Settings
from pipeline.streams import Consumer
from pipeline.streams.members import remove_if_empty
from pipeline.streams.poison import retry_stream
from tests.integration.consumers.conftest import write_articles

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

ROOT = Path(__file__).parents[3]


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def _done(log: Path) -> int:
    lines = log.read_text().splitlines() if log.exists() else []
    return sum(line.startswith("done") for line in lines)


def _member(settings: Settings, name: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    args = [settings.redis_url, settings.articles_stream, "indexer", name, str(log), *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.consumers.member", *args], cwd=ROOT
    )


def _stop(member: subprocess.Popen[bytes], how: signal.Signals) -> int:
    try:
        member.send_signal(how)
        return member.wait(10)
    finally:
        if member.poll() is None:
            member.kill()


def _members(client: redis.Redis, stream: str, group: str = "indexer") -> dict[str, int]:
    """The group's members on ``stream`` and how many entries each holds (none: no group
    yet)."""
    try:
        members = client.xinfo_consumers(stream, group)
    except redis.ResponseError:
        return {}
    return {
        (m["name"].decode() if isinstance(m["name"], bytes) else m["name"]): int(m["pending"])
        for m in members
    }


def _drain(client: redis.Redis, settings: Settings, name: str, n: int, **options: int) -> int:
    """A member that handles ``n`` entries (taking over what is idle), then stops."""
    consumer = Consumer(client, settings.articles_stream, "indexer", name, **options)
    stop = threading.Event()
    seen: list[str] = []

    def handle(article: EnrichedArticle) -> None:
        seen.append(article.id)
        if len(seen) >= n:
            stop.set()

    return consumer.run(handle, block_ms=100, stop=stop, handle_signals=False).handled


def test_a_member_stopped_with_nothing_in_hand_leaves_its_group(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None], tmp_path: Path
) -> None:
    """SIGTERM once everything is handled: the member is gone from the group, on the
    stream and on its group's retry stream, instead of being listed forever."""
    write(10)
    log = tmp_path / "member.log"
    member = _member(settings, "done-early", log)
    # its next read acknowledges the last of them
    _wait_for(lambda: _members(redis_client, settings.articles_stream) == {"done-early": 0})
    assert _done(log) == 10
    assert _stop(member, signal.SIGTERM) == 0
    assert _members(redis_client, settings.articles_stream) == {}
    assert _members(redis_client, retry_stream(settings.articles_stream, "indexer")) == {}
    assert redis_client.xpending(settings.articles_stream, "indexer")["pending"] == 0


def test_a_member_holding_entries_stays_until_they_are_taken_over_then_is_forgotten(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None], tmp_path: Path
) -> None:
    """SIGKILL mid-handling: the member stays with the entries it held (removing it would
    drop them from the group); another member takes them over; once it has been idle
    for ``forget_idle_ms`` with nothing held, the next member to start removes it."""
    write(30)
    log = tmp_path / "victim.log"
    victim = _member(settings, "victim", log, "--hang-on", "id5", "--count", "30")
    _wait_for(lambda: "start id5" in log.read_text() if log.exists() else False)
    _stop(victim, signal.SIGKILL)
    assert _members(redis_client, settings.articles_stream) == {"victim": 30}

    # a member that starts now forgets no one: the victim holds entries
    assert _drain(redis_client, settings, "survivor", 30, claim_idle_ms=200, forget_idle_ms=1) == 30
    assert _members(redis_client, settings.articles_stream) == {"victim": 0}

    time.sleep(0.5)
    write(5)
    assert _drain(redis_client, settings, "next", 5, forget_idle_ms=400) == 5
    assert _members(redis_client, settings.articles_stream) == {}  # both gone
    assert redis_client.xpending(settings.articles_stream, "indexer")["pending"] == 0


def test_a_busy_member_is_not_forgotten(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """Idle or not, a member that holds an entry is kept: it may be handling it now."""
    write(3)
    slow = Consumer(redis_client, settings.articles_stream, "indexer", "slow")
    assert len(slow.read(count=1)) == 1  # in hand, not acknowledged
    time.sleep(0.3)
    other = Consumer(redis_client, settings.articles_stream, "indexer", "other", forget_idle_ms=1)
    assert other.forget_idle_members() == []
    assert _members(redis_client, settings.articles_stream)["slow"] == 1


def test_removal_checks_what_a_member_holds_in_the_same_step(both_servers: Settings) -> None:
    """The removal script on Redis 7 and 6.2: a member named for removal that holds an
    entry on either stream stays, with its entry; an empty one goes; a name that is no
    member and a group that does not exist are no errors."""
    client = redis.Redis.from_url(both_servers.redis_url)
    write_articles(client, both_servers, 4)
    stream = both_servers.articles_stream
    holder = Consumer(client, stream, "indexer", "holder")
    empty = Consumer(client, stream, "indexer", "empty")
    assert len(holder.read(count=1)) == 1
    empty.ack(empty.read(count=3))
    streams = [stream, retry_stream(stream, "indexer")]

    gone = remove_if_empty(client, streams, "indexer", ["holder", "empty", "never-joined"])

    assert gone == ["empty", "never-joined"]
    assert _members(client, stream) == {"holder": 1}
    remove_if_empty(client, [stream], "no-such-group", ["holder"])
    assert _members(client, stream) == {"holder": 1}
