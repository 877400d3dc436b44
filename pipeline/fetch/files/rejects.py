"""Dead letters for input that cannot be read: stage ``read``, the reason, and an excerpt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import structlog

from pipeline.models import DeadLetter

__all__ = ["FILE_EXCERPT_BYTES", "INPUT_EXCERPT_BYTES", "STAGE", "dead_letter"]

log = structlog.get_logger()

STAGE = "read"
INPUT_EXCERPT_BYTES = 64 * 1024  # how much of a rejected line a dead letter keeps
FILE_EXCERPT_BYTES = 1024  # how much of a rejected file's beginning a dead letter keeps


def dead_letter(path: Path, reason: str, exc: BaseException, payload: dict[str, Any]) -> DeadLetter:
    error = type(exc).__name__
    # debug: the caller logs each dead letter it writes (at warning), once.
    log.debug("replay_item_rejected", source=str(path), stage=STAGE, error=error, reason=reason)
    return DeadLetter(
        stage=STAGE,
        reason=reason,
        error=error,
        source=str(path),
        input=json.dumps(payload, ensure_ascii=False),
    )
