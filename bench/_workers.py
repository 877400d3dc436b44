"""Real ``pipeline worker`` processes for fault tests: started, SIGKILLed (with their
whole process group, as a container or systemd unit dies) and restarted."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from rq import Worker

from pipeline.queueing import make_queue
from pipeline.settings import Settings

__all__ = ["WorkerProcs"]


class WorkerProcs:
    """``count`` worker processes sharing one environment; logs go to ``log_dir``."""

    def __init__(self, env: dict[str, str], count: int, log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self.starts = 0
        for _ in range(count):
            self.procs.append(self._spawn(len(self.procs)))

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = open(self.log_dir / f"worker-{index}.log", "ab")  # noqa: SIM115
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--log-json", "worker"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the RQ scheduler child too
        )

    def busy_job(self, index: int, client: redis.Redis, settings: Settings) -> str | None:
        """The id of the job worker ``index`` is running right now (RQ has marked it
        started), if any."""
        pid = self.procs[index].pid
        for worker in Worker.all(queue=make_queue(client, settings)):
            if worker.pid == pid and worker.get_state() == "busy":
                job_id = worker.get_current_job_id()
                if job_id and client.hget(f"rq:job:{job_id}", "status") == b"started":
                    return job_id
        return None

    def kill(self, index: int) -> None:
        """SIGKILL the worker and every process it started."""
        proc = self.procs[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        self.kills += 1

    def restart(self, index: int) -> None:
        """Start a new worker in place of ``index``."""
        self.procs[index] = self._spawn(index)

    def alive(self) -> list[bool]:
        """Which workers are still running (a worker must never exit on its own)."""
        return [p.poll() is None for p in self.procs]

    def stop(self, grace: float = 60) -> None:
        """SIGTERM every worker (each finishes its job), then SIGKILL what is left."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            # the scheduler child may outlive a worker that stopped on its own
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
