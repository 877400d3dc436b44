"""What the pipeline really writes validates against the committed schema files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import redis
from referencing import Registry, Resource

from pipeline.models import DeadLetter
from pipeline.settings import Settings
from pipeline.streams import Consumer
from pipeline.streams.writer import BatchWriter

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).parents[3] / "schema"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMA.glob("*.json")
    )
    schema = json.loads((SCHEMA / name).read_text())
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def _fields(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def test_written_entries_and_dead_letters_match_the_schema(
    settings: Settings, redis_client: redis.Redis, write: Callable[[int], None]
) -> None:
    """Articles from the atomic write, dead letters from the write and from a consumer."""
    write(3)
    BatchWriter(redis_client, settings).write(
        [], [DeadLetter(stage="read", reason="r", error="E", source="s", input="{}")]
    )

    def refuse(article: Any) -> None:
        raise RuntimeError("no")

    Consumer(redis_client, settings.articles_stream, "g", max_deliveries=1).run(
        refuse, limit=1, handle_signals=False
    )
    for _, raw in redis_client.xrange(settings.articles_stream):
        entry = _fields(raw)
        _validator("articles-entry.v1.json").validate(entry)
        _validator("article.v1.json").validate(json.loads(entry["article"]))
    letters = [_fields(raw) for _, raw in redis_client.xrange(settings.dead_stream)]
    assert [letter["stage"] for letter in letters] == ["read", "consume"]
    for letter in letters:
        _validator("dead-entry.v1.json").validate(letter)
        decoded = DeadLetter.model_validate(
            {k: v for k, v in letter.items() if v or k in ("reason", "input")}
        )
        _validator("dead-letter.v1.json").validate(json.loads(decoded.model_dump_json()))
