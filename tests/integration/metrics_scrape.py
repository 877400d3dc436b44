"""Helpers to run real pipeline processes serving /metrics and to read what they serve."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One scrape: every sample, by name and labels, and the family names."""

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]
    families: list[str]

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; KeyError when the endpoint did not serve it."""
        return self.samples[(name, frozenset(labels.items()))]

    def has(self, name: str) -> bool:
        """True when any sample of that name was served."""
        return any(sample == name for sample, _ in self.samples)

    def labels_of(self, name: str, label: str) -> set[str]:
        """Every value of ``label`` among the samples called ``name``."""
        return {dict(labels)[label] for sample, labels in self.samples if sample == name}


def scrape(port: int) -> Scrape:
    """GET /metrics from 127.0.0.1:port and parse the exposition."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    families = []
    for family in text_string_to_metric_families(text):
        families.append(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Scrape(samples, families)


def start_pipeline(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A ``pipeline`` command in its own process group (a worker's RQ scheduler runs in a
    child process: ``kill_group`` ends both, as a container's end would)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", "--log-level", "WARNING", *argv],
        env={**os.environ, **env},
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and every child it started (no chance to clean up)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def wait_for(
    check: Callable[[], bool],
    what: str,
    timeout: float = 120,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``check`` until true; fail with ``what`` after ``timeout`` or if ``process`` died."""
    deadline = time.monotonic() + timeout
    while not check():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def serving(port: int) -> bool:
    """True once something answers /metrics on the port."""
    try:
        scrape(port)
    except (urllib.error.URLError, ConnectionError, OSError):
        return False
    return True


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it does not stop in time; then whatever is left of its
    process group (an orphaned child would go on using the test's Redis)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
