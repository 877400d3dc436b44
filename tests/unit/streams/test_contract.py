"""The machine-readable contract in schema/: current, open where the policy says, and a
valid AsyncAPI 3.0 document (checked offline against the official JSON Schema)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from pipeline.streams.schema import main as schema_main
from pipeline.streams.schema import render, schema_files

ROOT = Path(__file__).parents[3]
SCHEMA = ROOT / "schema"
ASYNCAPI_SCHEMA = ROOT / "tests/resources/asyncapi/asyncapi-3.0.0.schema.json"


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA / name).read_text())


def _validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one schema file, resolving the others by file name (no network)."""
    registry: Registry[Any] = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMA.glob("*.json")
    )
    return jsonschema.Draft202012Validator(
        _load(name), registry=registry, format_checker=jsonschema.FormatChecker()
    )


def test_committed_schema_files_match_the_models() -> None:
    """Changing pipeline/models.py without regenerating schema/ fails here."""
    for name, schema in schema_files().items():
        path = SCHEMA / name
        assert path.exists(), f"{name} missing: python -m pipeline.streams.schema --write"
        assert path.read_text() == render(schema), (
            f"schema/{name} is out of date: python -m pipeline.streams.schema --write"
        )


def test_the_check_command_fails_on_a_stale_file(tmp_path: Path) -> None:
    """The regeneration command is one call, and --check says when it is needed."""
    assert schema_main(["--write", "--dir", str(tmp_path)]) == 0
    assert schema_main(["--check", "--dir", str(tmp_path)]) == 0
    stale = tmp_path / "article.v1.json"
    stale.write_text(stale.read_text().replace('"title"', '"titel"', 1))
    assert schema_main(["--check", "--dir", str(tmp_path)]) == 1


def _enums(node: Any, parent_any_of: list[Any] | None = None) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        if "enum" in node:
            found.append((node, parent_any_of))
        for key, value in node.items():
            found += _enums(value, node["anyOf"] if key == "anyOf" else None)
    elif isinstance(node, list):
        for item in node:
            found += _enums(item, parent_any_of)
    return found


def test_every_enumeration_of_the_article_is_open() -> None:
    """A new enum value is compatible within v1: the schema must admit it (policy)."""
    enums = _enums(_load("article.v1.json"))
    assert len(enums) >= 4  # kind, published_provenance, label, type
    for enum, siblings in enums:
        assert siblings is not None, f"closed enum {enum['enum']}: use OPEN_ENUM in models.py"
        assert {"type": "string"} in [
            {k: v for k, v in s.items() if k == "type"} for s in siblings if "enum" not in s
        ]


def _readme_example() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Output contract") :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block, "the README's output contract has a JSON example"
    example: dict[str, Any] = json.loads(block.group(1))
    return example


def test_the_readme_example_validates_and_shows_every_field() -> None:
    """The example a newcomer copies is a real v1 article, with every field there is."""
    assert "date-time" in jsonschema.FormatChecker().checkers  # formats really checked
    example = _readme_example()
    _validator("article.v1.json").validate(example)
    assert set(example) == set(_load("article.v1.json")["properties"])
    entry = {"id": example["id"], "v": "1", "article": json.dumps(example)}
    _validator("articles-entry.v1.json").validate(entry)


def test_the_article_schema_rejects_what_is_not_an_article() -> None:
    """The schema is not vacuous: a missing id or a mention that is not a pair fails."""
    example = _readme_example()
    validator = _validator("article.v1.json")
    assert not validator.is_valid({k: v for k, v in example.items() if k != "id"})
    broken = json.loads(json.dumps(example))
    broken["entities"][0]["mentions"] = [["a", 1]]
    assert not validator.is_valid(broken)
    assert not _validator("articles-entry.v1.json").is_valid({**example, "v": "2"})


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    """The AsyncAPI document."""
    doc: dict[str, Any] = yaml.safe_load((SCHEMA / "asyncapi.yaml").read_text())
    return doc


def test_the_asyncapi_document_is_valid_asyncapi_3(asyncapi: dict[str, Any]) -> None:
    """Validated against the official AsyncAPI 3.0.0 JSON Schema (vendored, offline)."""
    official = json.loads(ASYNCAPI_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(official)
    assert list(validator.iter_errors(asyncapi)) == []
    wrong = json.loads(json.dumps(asyncapi))
    wrong["operations"]["receiveArticles"]["action"] = "subscribe"  # AsyncAPI 2 wording
    assert not validator.is_valid(wrong)


def test_asyncapi_describes_both_streams_as_receive_operations(asyncapi: dict[str, Any]) -> None:
    """v3 operations with action receive; Redis bindings hold no properties."""
    addresses = {c["address"] for c in asyncapi["channels"].values()}
    assert addresses == {"news:articles", "news:dead"}
    assert {op["action"] for op in asyncapi["operations"].values()} == {"receive"}

    def bindings(node: Any) -> list[Any]:
        if isinstance(node, dict):
            here = [node["bindings"]["redis"]] if "redis" in node.get("bindings", {}) else []
            return here + [b for v in node.values() for b in bindings(v)]
        return [b for v in node for b in bindings(v)] if isinstance(node, list) else []

    assert bindings(asyncapi) and all(b == {} for b in bindings(asyncapi))


def test_every_asyncapi_reference_resolves(asyncapi: dict[str, Any]) -> None:
    """Internal pointers point somewhere; file references name a schema file."""

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return ([node["$ref"]] if "$ref" in node else []) + [
                r for v in node.values() for r in refs(v)
            ]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    found = refs(asyncapi)
    assert any(not r.startswith("#") for r in found)
    for ref in found:
        if not ref.startswith("#"):
            assert (SCHEMA / ref).is_file(), ref
            continue
        node: Any = asyncapi
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_the_stream_client_imports_without_spacy_httpx_or_feedparser() -> None:
    """A downstream service installs and imports only pipeline.streams."""
    probe = (
        "import sys, pipeline.streams; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('spacy', 'httpx', 'feedparser', 'rq', 'lxml') or m.startswith("
        "('pipeline.enrich', 'pipeline.fetch', 'pipeline.normalize', 'pipeline.workers'))]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert (
        "Consumer"
        in subprocess.run(
            [
                sys.executable,
                "-c",
                "from pipeline.streams import Consumer; print(Consumer.__name__)",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
