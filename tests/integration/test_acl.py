"""Who may touch Redis: the shipped ACL users (config/redis/start-redis.sh) on a real
redis-server of the kind under test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError
from structlog.testing import capture_logs

from pipeline.ops.localredis import free_port
from pipeline.streams import Consumer
from tests.conftest import RedisServer
from tests.integration.consumers.conftest import make_article

# The shipped ACL file uses Redis 7 selectors (compose runs Redis 7.0): not run on 6.2.
pytestmark = [pytest.mark.integration, pytest.mark.redis7]

START = Path(__file__).parents[2] / "config" / "redis" / "start-redis.sh"
PASSWORDS = {
    "REDIS_PIPELINE_PASSWORD": "pipeline-secret-1",
    "REDIS_CONSUMER_PASSWORD": "consumer-secret-2",
    "REDIS_OPERATOR_PASSWORD": "operator-secret-3",
}


class AclRedis:
    """redis-server started by the shipped script, one URL per user."""

    def __init__(self, binary: str, workdir: Path, *extra: str) -> None:
        self.port = free_port()
        self._env = {**os.environ, **PASSWORDS, "REDIS_SERVER": binary}
        self._env["REDIS_ACL_FILE"] = str(workdir / "users.acl")
        self._args = [
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(workdir),
            *extra,
        ]
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["sh", str(START), *self._args],
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client("operator").ping():
                    break
            except (redis.exceptions.ConnectionError, OSError):
                assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
                assert time.monotonic() < deadline, "redis-server with ACLs did not start"
                time.sleep(0.05)

    def url(self, user: str | None) -> str:
        if user is None:
            return f"redis://127.0.0.1:{self.port}/0"
        password = PASSWORDS[f"REDIS_{user.upper()}_PASSWORD"]
        return f"redis://{user}:{password}@127.0.0.1:{self.port}/0"

    def client(self, user: str | None) -> redis.Redis:
        return redis.Redis.from_url(self.url(user), socket_timeout=5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def acl(redis_server: RedisServer, tmp_path: Path) -> Iterator[AclRedis]:
    server = AclRedis(redis_server.binary, tmp_path)
    yield server
    server.stop()


def _pipeline(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_pipeline_works_end_to_end_under_its_own_user(acl: AclRedis, tmp_path: Path) -> None:
    """replay, worker, stats and health as the pipeline user; the default user is off;
    the pipeline user cannot flush Redis or touch keys that are not its own."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Title A\n\nBody A.")
    (tmp_path / "in" / "b.jsonl").write_text(json.dumps({"id": "b", "text": "Body B."}) + "\n")
    env = {**os.environ, "PIPELINE_REDIS_URL": acl.url("pipeline"), "PIPELINE_ENRICH": "false"}
    for argv in (("replay", str(tmp_path / "in")), ("worker", "--burst"), ("stats",), ("health",)):
        done = _pipeline(env, *argv)
        assert done.returncode == 0, (argv, done.stderr)
    assert acl.client("operator").xlen("news:articles") == 2

    with pytest.raises(AuthenticationError):
        acl.client(None).ping()  # the default user is disabled
    pipeline = acl.client("pipeline")
    with pytest.raises(NoPermissionError):
        pipeline.flushall()
    with pytest.raises(NoPermissionError):
        pipeline.set("other-app:key", "1")


def test_what_the_pipeline_user_wrote_survives_a_restart_from_the_aof(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """With the default user off, Redis before 8 replays a MULTI/EXEC from the AOF as the
    default user and re-checks its permissions at EXEC: with none, every transaction
    (the atomic write's effects, RQ's enqueue) was dropped at restart, with only a log
    line (redis/redis#14541). The shipped ACL leaves the disabled default user its
    permissions, so a restart from the AOF keeps everything; still no one can log in as it."""
    server = AclRedis(
        redis_server.binary, tmp_path, "--appendonly", "yes", "--appendfsync", "always"
    )
    try:
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "a.txt").write_text("Title A\n\nBody A.")
        (tmp_path / "later").mkdir()
        (tmp_path / "later" / "b.txt").write_text("Title B\n\nBody B.")
        env = {
            **os.environ,
            "PIPELINE_REDIS_URL": server.url("pipeline"),
            "PIPELINE_ENRICH": "false",
        }
        for argv in (("replay", str(tmp_path / "in")), ("worker", "--burst")):
            done = _pipeline(env, *argv)
            assert done.returncode == 0, (argv, done.stderr)
        done = _pipeline(env, "replay", str(tmp_path / "later"))  # queued, not yet written
        assert done.returncode == 0, done.stderr
        operator = server.client("operator")
        before = {
            "articles": operator.xlen("news:articles"),
            "seen": len(operator.keys("news:seen:*")),
            "queued": operator.llen("rq:queue:news:ingest"),
        }
        assert before == {"articles": 1, "seen": 1, "queued": 1}

        server.stop()
        server.start()
        operator = server.client("operator")
        after = {
            "articles": operator.xlen("news:articles"),
            "seen": len(operator.keys("news:seen:*")),
            "queued": operator.llen("rq:queue:news:ingest"),
        }
        assert after == before
        done = _pipeline(env, "worker", "--burst")  # the queued batch still lands
        assert done.returncode == 0, done.stderr
        assert operator.xlen("news:articles") == 2
        with pytest.raises(AuthenticationError):
            server.client(None).ping()
    finally:
        server.stop()


def test_the_consumer_user_reads_with_a_group_and_can_write_nothing(acl: AclRedis) -> None:
    """The consumer user reads, acknowledges and reclaims through a group the operator
    created; it cannot write an article, touch the seen-set or create a group."""
    pipeline = acl.client("pipeline")
    entry = pipeline.xadd("news:articles", {"id": "a1", "v": "1", "article": "{}"})
    pipeline.hset("news:seen:a1", mapping={"fp": "x", "entry": entry})
    consumer_redis = acl.client("consumer")

    with pytest.raises(Exception, match="may not create it"):
        Consumer(consumer_redis, "news:articles", "indexer")
    acl.client("operator").xgroup_create("news:articles", "indexer", id="0")
    consumer = Consumer(consumer_redis, "news:articles", "indexer", claim_idle_ms=0)
    (got,) = consumer.read(count=10)
    assert got.fields["id"] == "a1"
    assert consumer.ack([got.entry_id]) == 1
    assert consumer_redis.xinfo_groups("news:articles")[0]["pending"] == 0

    forbidden = [
        lambda: consumer_redis.xadd("news:articles", {"id": "fake", "v": "1", "article": "{}"}),
        lambda: consumer_redis.xdel("news:articles", got.entry_id),
        lambda: consumer_redis.hset("news:seen:a1", "fp", "tampered"),
        lambda: consumer_redis.hgetall("news:seen:a1"),
        lambda: consumer_redis.delete("news:seen:a1"),
        lambda: consumer_redis.xgroup_create("news:articles", "another", id="0"),
        lambda: consumer_redis.xrange("news:articles"),
        lambda: consumer_redis.flushall(),
        lambda: consumer_redis.keys("*"),
    ]
    for attempt in forbidden:
        with pytest.raises(ResponseError):
            attempt()
    assert pipeline.hget("news:seen:a1", "fp") == b"x"
    assert pipeline.xlen("news:articles") == 1


def test_the_consumer_user_dead_letters_poison_and_nothing_else(acl: AclRedis) -> None:
    """The poison rule runs under the consumer user: an entry that cannot be read lands in
    news:dead (stage consume) and is acknowledged, yet the user still cannot add an article
    or delete one."""
    pipeline = acl.client("pipeline")
    pipeline.xadd("news:articles", {"id": "p1", "v": "1", "article": "not json"})
    acl.client("operator").xgroup_create("news:articles", "indexer", id="0")
    consumer_redis = acl.client("consumer")
    consumer = Consumer(consumer_redis, "news:articles", "indexer", max_deliveries=1)
    consumer.run(lambda article: None, limit=1, block_ms=100, handle_signals=False)

    (dead,) = pipeline.xrange("news:dead")
    assert dead[1][b"stage"] == b"consume" and dead[1][b"group"] == b"indexer"
    assert consumer_redis.xinfo_groups("news:articles")[0]["pending"] == 0
    # holding nothing once stopped, the member left its group (EVAL, XGROUP DELCONSUMER)
    assert consumer_redis.xinfo_consumers("news:articles", "indexer") == []
    with pytest.raises(ResponseError):
        consumer_redis.xadd("news:articles", {"id": "fake", "v": "1", "article": "{}"})
    with pytest.raises(ResponseError):
        consumer_redis.xdel("news:dead", dead[0])
    assert pipeline.xlen("news:articles") == 1


def test_a_consumer_user_without_eval_still_runs_and_keeps_its_member(acl: AclRedis) -> None:
    """An ACL file written before members could leave (no EVAL, no XGROUP DELCONSUMER):
    the run handles and acknowledges as before; leaving the group only logs a warning
    that names what to grant, and the member stays listed."""
    operator = acl.client("operator")
    # the shipped consumer rules without the two grants
    (rules,) = [line for line in START.read_text().splitlines() if line.startswith("user consumer")]
    rules = rules.replace(" +eval +xgroup|delconsumer", "").replace("${prefix}", "news:")
    rules = rules.replace("${REDIS_CONSUMER_PASSWORD}", "old-secret")
    operator.execute_command("ACL", "SETUSER", "oldconsumer", *_acl_rules(rules)[2:])
    article = make_article(1)
    acl.client("pipeline").xadd(
        "news:articles", {"id": article.id, "v": "1", "article": article.model_dump_json()}
    )
    operator.xgroup_create("news:articles", "indexer", id="0")
    old = redis.Redis.from_url(
        f"redis://oldconsumer:old-secret@127.0.0.1:{acl.port}/0", socket_timeout=5
    )
    handled: list[str] = []
    consumer = Consumer(old, "news:articles", "indexer", "old-member")
    with capture_logs() as logs:
        summary = consumer.run(
            lambda a: handled.append(a.id), limit=1, block_ms=100, handle_signals=False
        )

    assert summary.handled == 1 and handled == ["id1"]
    (warning,) = [e for e in logs if e["event"] == "consumer_members_not_tidied"]
    assert warning["step"] == "leave" and "XGROUP DELCONSUMER" in warning["hint"]
    assert operator.xinfo_groups("news:articles")[0]["pending"] == 0
    assert [m["name"] for m in operator.xinfo_consumers("news:articles", "indexer")] == [
        b"old-member"
    ]


def _acl_rules(line: str) -> list[str]:
    """An ACL file line's words, a selector in parentheses kept as one."""
    return re.findall(r"\([^)]*\)|\S+", line)
