"""The output contract as JSON Schema files, generated from the models: what
``schema/`` holds. Regenerate after changing ``pipeline/models.py``:

    python -m pipeline.streams.schema --write     # rewrite schema/*.json
    python -m pipeline.streams.schema --check     # exit 1 when schema/ is out of date

Two streams, two files each: the entry as Redis holds it (every field a string) and the
message a reader decodes from it. ``schema/asyncapi.yaml`` (written by hand) refers to them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.models import SCHEMA_VERSION, DeadLetter, EnrichedArticle

__all__ = ["main", "render", "schema_files"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
V = SCHEMA_VERSION


def _date_time_fields(validation: Any, serialization: Any) -> None:
    """Serialisers return plain strings; put back the ``date-time`` format the
    validation schema knows, everywhere in the tree."""
    if isinstance(validation, dict) and isinstance(serialization, dict):
        formats = [validation.get("format")] + [
            branch.get("format") for branch in validation.get("anyOf", [])
        ]
        if "date-time" in formats and "format" not in serialization:
            serialization["format"] = "date-time"
        for key, value in validation.items():
            if key in serialization:
                _date_time_fields(value, serialization[key])


def _message_schema(model: type[BaseModel], title: str, description: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    _date_time_fields(model.model_json_schema(mode="validation"), schema)
    schema.update(title=title, description=description)
    return {"$schema": _DIALECT, **schema}


def _entry_schema(
    title: str, description: str, fields: dict[str, dict[str, Any]], required: list[str]
) -> dict[str, Any]:
    return {
        "$schema": _DIALECT,
        "title": title,
        "description": description,
        "type": "object",
        "properties": fields,
        "required": required,
    }


def schema_files() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for every file ``schema/`` holds but the AsyncAPI one."""
    article = f"article.v{V}.json"
    letter = f"dead-letter.v{V}.json"
    text = {"type": "string"}
    return {
        f"articles-entry.v{V}.json": _entry_schema(
            f"news:articles entry (v{V})",
            "One entry of the articles stream as XREADGROUP returns it: every field a "
            "string. New fields may appear within a version: ignore those you do not know.",
            {
                "id": {**text, "description": "the article id, equal to article.id"},
                "v": {"const": str(V), "description": "schema version of this entry"},
                "article": {
                    **text,
                    "description": f"the article as JSON ({article})",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": article},
                },
            },
            ["id", "v", "article"],
        ),
        article: _message_schema(
            EnrichedArticle,
            f"Article (v{V})",
            "The JSON in an articles entry's `article` field (EnrichedArticle). Fields not "
            "listed may appear within a version; enumerations may gain values (anyOf a "
            "free string): keep working when you meet either.",
        ),
        f"dead-entry.v{V}.json": _entry_schema(
            f"news:dead entry (v{V})",
            "One entry of the dead-letter stream: an item that could not be processed, "
            "every field a string.",
            {
                "stage": {
                    **text,
                    "description": "where it failed: read, validate, normalize, enrich, "
                    "worker, consume (more may be added)",
                },
                "reason": {**text, "description": "what went wrong and what to do"},
                "error": {**text, "description": "the exception type"},
                "source": {
                    **text,
                    "description": "feed URL or file path; for stage consume "
                    "<stream>:<entry id> of the entry the group could not handle",
                },
                "at": {**text, "format": "date-time", "description": "when, in UTC"},
                "input": {
                    **text,
                    "contentMediaType": "application/json",
                    "description": "the original item as JSON; for stage consume the "
                    "entry's fields",
                },
                "article_id": {**text, "description": "the article id when known, else empty"},
                "group": {**text, "description": "stage consume: the consumer group"},
            },
            ["stage", "reason", "error", "source", "at", "input"],
        ),
        letter: _message_schema(
            DeadLetter,
            f"Dead letter (v{V})",
            "A dead-letter entry decoded (DeadLetter): empty article_id and group read as null.",
        ),
    }


def render(schema: dict[str, Any]) -> str:
    """The file text: stable key order as generated, two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.streams.schema")
    parser.add_argument("--dir", type=Path, default=Path("schema"), help="default: ./schema")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the files")
    action.add_argument("--check", action="store_true", help="exit 1 if any file differs")
    args = parser.parse_args(argv)
    stale = []
    for name, schema in schema_files().items():
        path: Path = args.dir / name
        text = render(schema)
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(name)
        if args.write:
            args.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    if args.check and stale:
        print(
            f"out of date: {', '.join(stale)}; run python -m pipeline.streams.schema --write",
            file=sys.stderr,
        )
        return 1
    print(f"{'wrote' if args.write else 'up to date'}: {', '.join(stale) or 'nothing to do'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
