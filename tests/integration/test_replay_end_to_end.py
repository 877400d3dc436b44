"""Replay -> queue -> worker -> stream, end to end against a real redis-server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from pipeline.cli import main
from pipeline.fetch.files.replay import replay_paths
from pipeline.ops.retry import retry_dead_letters
from pipeline.queueing import make_queue
from pipeline.settings import Settings
from pipeline.workers.start import run_worker

pytestmark = pytest.mark.integration

SEEDS = Path(__file__).parents[2] / "seeds"


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for pipeline commands: the test Redis, no enrichment (speed)."""
    monkeypatch.setenv("PIPELINE_REDIS_URL", settings.redis_url)
    monkeypatch.setenv("PIPELINE_ENRICH", "false")
    return {**os.environ, "PIPELINE_REDIS_URL": settings.redis_url, "PIPELINE_ENRICH": "false"}


def _run(*argv: str) -> int:
    return main(["--log-level", "WARNING", *argv])


def _articles(client: redis.Redis, settings: Settings) -> list[dict[str, object]]:
    return [json.loads(f[b"article"]) for _, f in client.xrange(settings.articles_stream)]


def test_replaying_seeds_twice_leaves_one_entry(
    env: dict[str, str], settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Two replays and a copy under another name: the seed article lands exactly once."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    seed = next(folder.glob("*.txt"))
    shutil.copy(seed, folder / "copy-of-the-seed.txt")
    for _ in range(2):
        assert _run("replay", str(folder)) == 0
        assert _run("worker", "--burst") == 0
    articles = _articles(redis_client, settings)
    assert len(articles) == 1
    article = articles[0]
    assert article["published"] == "2025-12-01T00:00:00Z"
    assert article["text"].startswith("Israeli Prime Minister")
    assert article["revision"] == 1 and article["duplicate_of"] is None
    stats = redis_client.hgetall(settings.key("stats"))
    assert int(stats[b"repeat"]) == 3  # the copy, and both files of the second replay
    assert redis_client.keys(settings.key("batch", "*")) == []  # written batches leave nothing


def test_bad_inputs_become_dead_letters_and_the_rest_lands(
    env: dict[str, str], settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Invalid UTF-8, an empty file, a non-JSON line and a 50 MB file are dead letters;
    the good items of the same replay are written; unknown suffixes are skipped."""
    (tmp_path / "good.txt").write_text("A title\n\nA body that is perfectly fine.\n")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 title\n\nd\xe9j\xe0 vu".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    lines = [
        json.dumps({"id": "j1", "text": "first good line", "url": "https://example.org/1"}),
        "{this is not json",
        json.dumps({"id": "j2", "text": "<p>second <b>good</b> line</p>"}),
    ]
    (tmp_path / "items.jsonl").write_text("\n".join(lines) + "\n")
    with open(tmp_path / "huge.txt", "wb") as big:
        big.truncate(50 * 1024 * 1024)
    (tmp_path / "notes.csv").write_text("a,b\n")

    assert _run("replay", str(tmp_path)) == 0
    assert _run("worker", "--burst") == 0

    ids = sorted(a["id"] for a in _articles(redis_client, settings))
    assert len(ids) == 3 and "j1" in ids and "j2" in ids
    dead = [f for _, f in redis_client.xrange(settings.dead_stream)]
    sources = sorted(Path(f[b"source"].decode()).name for f in dead)
    assert sources == ["empty.txt", "huge.txt", "items.jsonl", "latin1.txt"]
    for fields in dead:
        assert fields[b"reason"] and fields[b"error"] and fields[b"at"] and fields[b"input"]


def test_cli_reports_and_exit_codes(
    env: dict[str, str],
    settings: Settings,
    redis_client: redis.Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """tail prints entries, stats prints every section, health fails without Redis."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    assert _run("replay", str(tmp_path / "seeds")) == 0
    assert _run("worker", "--burst") == 0
    capsys.readouterr()
    assert _run("tail", "-n", "1", "--compact") == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["article"]["dateline"] == "JERUSALEM"
    assert _run("stats") == 0
    out = capsys.readouterr().out
    for needle in ("news:articles", "news:dead", "queued jobs", "alive", "repeats", "failing"):
        assert needle in out
    assert _run("health") == 0
    assert main(["--redis-url", "redis://127.0.0.1:1/0", "health"]) == 3


def test_dead_letter_retry_after_the_file_is_fixed(
    env: dict[str, str], settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """A file rejected as not UTF-8 lands after it is converted and retried."""
    bad = tmp_path / "report.txt"
    bad.write_bytes("R\xe9sum\xe9\n\nLe caf\xe9 est ouvert.".encode("latin-1"))
    assert _run("replay", str(tmp_path)) == 0
    assert redis_client.xlen(settings.dead_stream) == 1
    bad.write_text("Résumé\n\nLe café est ouvert.", encoding="utf-8")
    assert _run("dead", "retry", "--all") == 0
    assert _run("worker", "--burst") == 0
    assert redis_client.xlen(settings.dead_stream) == 0
    (article,) = _articles(redis_client, settings)
    assert article["title"] == "Résumé"


def test_watch_picks_up_each_new_file_once(
    env: dict[str, str], settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Files dropped into a watched folder are enqueued as they arrive, each once."""
    drop = tmp_path / "drop"
    drop.mkdir()
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "--log-level",
            "WARNING",
            "replay",
            str(drop),
            "--watch",
            "--interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    queue = make_queue(redis_client, settings)
    try:
        (drop / "notes.md").write_text("# not an article format\n")
        (drop / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 binary")
        for n in range(3):
            (drop / f"story-{n}.txt").write_text(f"Headline {n}\n\nBody of story number {n}.")
            deadline = time.monotonic() + 20
            while queue.count < n + 1:
                assert time.monotonic() < deadline, f"file {n} was not picked up"
                time.sleep(0.1)
        time.sleep(1.5)  # several more polls: nothing may be enqueued twice
        assert queue.count == 3
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.communicate(timeout=20)
    assert watcher.returncode == 0
    assert redis_client.xlen(settings.dead_stream) == 0  # unknown suffixes are skipped
    assert _run("worker", "--burst") == 0
    titles = sorted(a["title"] for a in _articles(redis_client, settings))
    assert titles == ["Headline 0", "Headline 1", "Headline 2"]


def test_demo_starts_a_local_redis_when_none_answers(tmp_path: Path) -> None:
    """The main job on a machine with no Redis: it starts one, replays seeds with
    enrichment, prints what landed and says what it did."""
    env = {**os.environ, "PIPELINE_REDIS_URL": "redis://127.0.0.1:1/0"}
    env.pop("PIPELINE_ENRICH", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", "demo", str(SEEDS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "started a local one" in done.stderr
    assert "dateline JERUSALEM" in done.stdout
    assert "published 2025-12-01" in done.stdout
    assert "news:articles: 1 entries" in done.stdout


def test_a_batch_that_keeps_crashing_ends_as_dead_letters(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a job fails beyond its retries, each of its items becomes a dead letter
    that `pipeline dead retry` can re-enqueue: nothing is lost silently."""
    settings = make_settings(enrich=False, job_retries=0)
    (tmp_path / "a.txt").write_text("Title A\n\nBody A.")
    (tmp_path / "b.txt").write_text("Title B\n\nBody B.")
    replay_paths(redis_client, settings, [tmp_path])

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("pipeline.workers.jobs.process_items", crash)
    run_worker(settings, redis_client, burst=True)
    dead = [f for _, f in redis_client.xrange(settings.dead_stream)]
    assert sorted(f[b"stage"] for f in dead) == [b"worker", b"worker"]
    assert all(b"simulated bug" in f[b"reason"] for f in dead)

    monkeypatch.undo()
    result = retry_dead_letters(redis_client, settings, stage="worker")
    assert result.retried == 2
    run_worker(settings, redis_client, burst=True)
    assert sorted(a["title"] for a in _articles(redis_client, settings)) == ["Title A", "Title B"]


def test_retrying_a_jsonl_file_with_one_line_fixed_keeps_the_other_bad_line(
    env: dict[str, str], settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    """Retrying after fixing one bad line lands that line; a line still bad stays a dead
    letter (once), it is never dropped by the retry."""
    path = tmp_path / "items.jsonl"
    good = json.dumps({"id": "ok", "text": "A fine line."})
    path.write_text("\n".join([good, "{broken one", "{broken two"]) + "\n")
    assert _run("replay", str(tmp_path)) == 0
    assert redis_client.xlen(settings.dead_stream) == 2
    path.write_text(
        "\n".join([good, json.dumps({"id": "fixed", "text": "Now valid."}), "{broken two"]) + "\n"
    )
    assert _run("dead", "retry", "--all") == 0
    assert _run("worker", "--burst") == 0
    assert sorted(a["id"] for a in _articles(redis_client, settings)) == ["fixed", "ok"]
    (remaining,) = [f for _, f in redis_client.xrange(settings.dead_stream)]
    assert json.loads(remaining[b"input"])["line"] == 3
