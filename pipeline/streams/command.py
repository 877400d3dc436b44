"""A handler that runs a command once per entry: the entry's JSON line on its standard
input, exit status 0 for done. What ``pipeline consume --exec`` uses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

from pipeline.streams.reader import StreamEntry

__all__ = ["CommandFailed", "CommandHandler"]


class CommandFailed(Exception):
    """The command exited non-zero or ran past its time limit: a failed delivery."""


class CommandHandler:
    """``handler(entry, message)`` for ``Consumer.run_entries``: runs ``argv`` (no shell)
    in its own process group, killed with the whole group after ``timeout`` seconds."""

    def __init__(self, argv: Sequence[str], timeout: float) -> None:
        if not argv:
            raise ValueError("the command is empty")
        self.argv = list(argv)
        self.timeout = timeout

    def __call__(self, entry: StreamEntry, _message: Any) -> None:
        line = json.dumps(entry.as_json(), ensure_ascii=False) + "\n"
        try:
            # a new session: the terminal's Ctrl-C stops the consumer after this entry
            # instead of killing the command halfway
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise CommandFailed(f"cannot run {self.argv[0]}: {exc}") from exc
        try:
            proc.communicate(line.encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise CommandFailed(
                f"{self.argv[0]} ran longer than {self.timeout:g}s and was killed"
            ) from None
        if proc.returncode != 0:
            raise CommandFailed(f"{self.argv[0]} exited with status {proc.returncode}")
