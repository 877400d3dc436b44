"""Shared helpers for the normalisation tests: sample inputs and a RawItem factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.models import RawItem

ROOT = Path(__file__).resolve().parents[3]
RESOURCES = ROOT / "tests" / "resources" / "normalize"
SEED = ROOT / "seeds" / "000_0f075809db5f86f0.txt"
NOW = datetime(2025, 12, 2, 12, 0, tzinfo=UTC)


def resource(name: str) -> str:
    """A sample input, read exactly as stored (CRLF kept)."""
    with open(RESOURCES / name, encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture
def make_raw() -> Callable[..., RawItem]:
    """Build a RawItem with sensible defaults; keyword arguments override them."""

    def make(**fields: Any) -> RawItem:
        defaults: dict[str, Any] = {
            "source": "tests/sample.jsonl",
            "kind": "jsonl",
            "text": "Officials met on Monday to discuss the plan.",
            "fetched": NOW,
        }
        return RawItem(**{**defaults, **fields})

    return make
