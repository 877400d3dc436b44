"""``pipeline enrich`` on input a new user may hand it: one error line per bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main

DEEP = '{"id": "deep", "text": "x", "nested": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_a_deep_or_out_of_range_line_is_one_error_line_and_the_rest_is_enriched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deeply nested JSON (RecursionError) and a date out of range once in UTC
    (OverflowError) each give an error line; the good lines around them are enriched."""
    lines = [
        json.dumps({"id": "a", "text": "Angela Merkel visited Paris.", "published": "2024-01-02"}),
        DEEP,
        json.dumps({"id": "ovf", "text": "Hello.", "published": "9999-12-31T23:00:00-05:00"}),
        json.dumps({"id": "b", "text": "Another fine line.", "published": "0005-01-01"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--log-level", "WARNING", "enrich", "--in", str(source)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == "a" and "entities" in out[0]
    assert "nested too deeply" in out[1]["error"]
    assert out[2]["id"] == "ovf" and "out of range" in out[2]["error"]
    assert out[3]["id"] == "b" and "entities" in out[3]
