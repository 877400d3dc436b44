"""`pipeline dead retry` after the fix the README prescribes, for every stage, and its
enqueue-then-delete order under Redis errors, on a real redis-server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.cli import main
from pipeline.fetch.files.replay import replay_paths
from pipeline.ops.retry import retry_dead_letters
from pipeline.settings import Settings
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI talks to the test Redis, without enrichment (speed)."""
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("PIPELINE_ENRICH", "false")
    return settings.model_copy(update={"enrich": False})


def _run(*argv: str) -> int:
    return main(["--log-level", "WARNING", *argv])


def _articles(client: redis.Redis, settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(f[b"article"]) for _, f in client.xrange(settings.articles_stream)]


def _dead(client: redis.Redis, settings: Settings) -> list[dict[bytes, bytes]]:
    return [f for _, f in client.xrange(settings.dead_stream)]


def _lines(*items: dict[str, Any]) -> str:
    return "\n".join(json.dumps(item) for item in items) + "\n"


def test_a_normalize_letter_is_retried_from_the_corrected_file(
    env: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A bad date in a .jsonl line and a .txt with no text fail at normalize; once the user
    corrects the files, `dead retry --all` lands what the files now say."""
    items = tmp_path / "items.jsonl"
    good = {"id": "good", "text": "A fine line."}
    items.write_text(_lines(good, {"id": "dated", "text": "Dated line.", "published": "soon"}))
    story = tmp_path / "story.txt"
    story.write_text("<p>Headline</p>\n<script>var x;</script>\n")
    assert _run("replay", str(tmp_path)) == 0
    assert _run("worker", "--burst") == 0
    assert sorted(f[b"stage"] for f in _dead(redis_client, env)) == [b"normalize", b"normalize"]

    items.write_text(
        _lines(good, {"id": "dated", "text": "Dated line.", "published": "2025-01-02"})
    )
    story.write_text("Headline\n\nThe body the file was missing.\n")
    assert _run("dead", "retry", "--all") == 0
    assert _run("worker", "--burst") == 0

    assert _dead(redis_client, env) == []
    by_id = {a["id"]: a for a in _articles(redis_client, env)}
    assert by_id["dated"]["published"] == "2025-01-02T00:00:00Z"
    assert [a["text"] for a in by_id.values() if a["title"] == "Headline"] == [
        "The body the file was missing."
    ]
    assert by_id["good"]["revision"] == 1  # the good line was not sent again


def test_a_read_letter_for_one_line_re_enqueues_that_line_only(
    env: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Retrying a broken .jsonl line sends that line, not the whole file again."""
    items = tmp_path / "items.jsonl"
    lines = [json.dumps({"id": f"n{n}", "text": f"Line number {n}."}) for n in range(5)]
    items.write_text("\n".join([*lines, "{broken"]) + "\n")
    assert _run("replay", str(tmp_path)) == 0
    assert _run("worker", "--burst") == 0
    items.write_text("\n".join([*lines, json.dumps({"id": "n5", "text": "Fixed."})]) + "\n")

    result = retry_dead_letters(redis_client, env, stage="read")
    assert (result.retried, result.items) == (1, 1)
    run_worker(env, redis_client, burst=True)
    assert sorted(a["id"] for a in _articles(redis_client, env)) == [f"n{n}" for n in range(6)]
    assert int(redis_client.hget(env.key("stats"), "repeat") or 0) == 0
    assert _dead(redis_client, env) == []


def _latin1_story_fixed_after_its_dead_letter(
    client: redis.Redis, settings: Settings, folder: Path
) -> None:
    """A Latin-1 .txt replayed (a dead letter of stage read), then converted to UTF-8."""
    story = folder / "story.txt"
    story.write_bytes("Caf\xe9\n\nD\xe9j\xe0 vu.".encode("latin-1"))
    replay_paths(client, settings, [folder])
    story.write_text("Café\n\nDéjà vu.", encoding="utf-8")


def _redis_gone(self: object, *args: object, **kwargs: object) -> None:
    raise redis.ConnectionError("simulated: Redis went away")


def test_a_redis_error_while_enqueuing_keeps_the_letter(
    env: Settings, redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis fails the enqueue: the retry fails loudly and the dead letter is still there,
    so the fix-then-retry can simply be run again."""
    _latin1_story_fixed_after_its_dead_letter(redis_client, env, tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(redis.client.Pipeline, "execute", _redis_gone)
        with pytest.raises(redis.ConnectionError):
            retry_dead_letters(redis_client, env, stage="read")
    assert len(_dead(redis_client, env)) == 1
    assert retry_dead_letters(redis_client, env, stage="read").retried == 1
    run_worker(env, redis_client, burst=True)
    assert [a["title"] for a in _articles(redis_client, env)] == ["Café"]
    assert _dead(redis_client, env) == []


def test_a_redis_error_before_the_delete_keeps_letter_and_queued_item(
    env: Settings, redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The items are queued but the delete fails: the letter stays beside them; the item
    lands once, and retrying the letter again is a repeat, not a second entry."""
    _latin1_story_fixed_after_its_dead_letter(redis_client, env, tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(redis.Redis, "xdel", _redis_gone)
        with pytest.raises(redis.ConnectionError):
            retry_dead_letters(redis_client, env, stage="read")
    assert len(_dead(redis_client, env)) == 1
    run_worker(env, redis_client, burst=True)
    assert [a["title"] for a in _articles(redis_client, env)] == ["Café"]
    assert retry_dead_letters(redis_client, env, stage="read").retried == 1
    run_worker(env, redis_client, burst=True)
    assert len(_articles(redis_client, env)) == 1 and _dead(redis_client, env) == []


def test_a_txt_item_whose_file_is_gone_is_retried_from_its_stored_input(
    env: Settings, redis_client: redis.Redis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker-stage letter (a bug crashed its batch) whose file was removed since: the
    stored input is sent again, and lands once the bug is gone."""
    story = tmp_path / "story.txt"
    story.write_text("Headline\n\nA body.")
    settings = env.model_copy(update={"job_retries": 0})
    replay_paths(redis_client, settings, [tmp_path])

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    with monkeypatch.context() as patched:
        patched.setattr("pipeline.workers.jobs.process_items", crash)
        run_worker(settings, redis_client, burst=True)
    assert [f[b"stage"] for f in _dead(redis_client, env)] == [b"worker"]
    os.remove(story)
    assert retry_dead_letters(redis_client, settings, stage="worker").retried == 1
    run_worker(settings, redis_client, burst=True)
    assert [a["text"] for a in _articles(redis_client, env)] == ["A body."]
