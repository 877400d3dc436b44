"""Stopping long-running commands cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog

__all__ = ["stop_on_signals"]

log = structlog.get_logger()


def stop_on_signals(
    stop: threading.Event | None = None, *, also: threading.Event | None = None
) -> threading.Event:
    """Set ``stop`` (and wake ``also``) on SIGTERM and SIGINT; returns ``stop``."""
    event = stop if stop is not None else threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stop_signal_received", signal=signal.Signals(signum).name)
        event.set()
        if also is not None:
            also.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return event
