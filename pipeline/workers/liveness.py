"""RQ workers whose running job goes on heartbeating, so a dead worker's job is re-run
within about a minute instead of after the job timeout.

RQ declares a job abandoned when its entry in the StartedJobRegistry expires; the entry's
expiry is pushed forward by each heartbeat by ``get_heartbeat_ttl()``. RQ's SimpleWorker
runs the job in its only thread and so sends no heartbeat until the job ends: its entry
is given the whole job timeout (+60 s), and a worker SIGKILLed mid-job strands the job
for that long. Here a thread calls RQ's own ``maintain_heartbeats`` every
``worker_heartbeat`` seconds while the job runs, and the entry lives
``worker_abandoned_after`` seconds past the last one. RQ's maintenance (every
``worker_maintenance`` seconds, in whichever worker holds its lock) then retries the
abandoned job like any failed one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any

import structlog
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue

from pipeline.settings import Settings

__all__ = ["ForkingLiveWorker", "LiveWorker", "worker_options"]

log = structlog.get_logger()

# RQ's scheduler checks for a stop request every second: 5 s is ample
SCHEDULER_STOP_SECONDS = 5.0


def worker_options(settings: Settings) -> dict[str, Any]:
    """RQ worker arguments for the liveness settings.

    ``worker_ttl`` also sets how long an idle worker blocks waiting for a job (15 s less),
    so an idle worker wakes up for maintenance about every ``worker_maintenance`` seconds.
    """
    return {
        "maintenance_interval": settings.worker_maintenance,
        "worker_ttl": settings.worker_maintenance + 15,
        "job_monitoring_interval": max(1, int(settings.worker_heartbeat)),
    }


class _Liveness:
    """What both worker kinds share: the started-registry entry's lifetime, and
    remembering that a signal (not an error) ended the work loop."""

    abandoned_after = 45
    stopped_by_signal = False
    # set by the process's own SIGTERM/SIGINT handler, which is in place until RQ's loop
    # installs RQ's: a signal in between (bootstrap, scheduler start) must still count
    stop_event: threading.Event | None = None

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.abandoned_after

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        """RQ's worker heartbeat (HSET and two EXPIREs), sent as one round trip: RQ sends
        its three commands one by one when given no pipeline, three or four times a job."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)  # type: ignore[misc]
            return
        with self.connection.pipeline(transaction=False) as own:  # type: ignore[attr-defined]
            super().heartbeat(timeout, pipeline=own)  # type: ignore[misc]
            own.execute()

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stopped_by_signal = True
        if self.stop_event is not None:
            self.stop_event.set()
        super().request_stop(signum, frame)  # type: ignore[misc]

    def stop_scheduler(self) -> None:
        """Stop RQ's scheduler child, in bounded time. RQ sends SIGTERM and joins with no
        timeout; a child forked (by RQ's maintenance, which restarts a scheduler whose lock
        it wins) just as the worker's own SIGTERM arrives still runs the worker's handlers,
        ignores the signal and loops on, and the worker hung in the join until Docker
        killed it (compose-test's upgrade phase). The scheduler holds nothing but a lock
        that expires: after SCHEDULER_STOP_SECONDS it is killed."""
        process = self.scheduler._process if self.scheduler else None  # type: ignore[attr-defined]
        if process is None or not process.pid:
            return
        with contextlib.suppress(OSError):
            os.kill(process.pid, signal.SIGTERM)
        process.join(SCHEDULER_STOP_SECONDS)
        if process.is_alive():
            log.warning("rq_scheduler_killed", pid=process.pid, after_s=SCHEDULER_STOP_SECONDS)
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGKILL)
            process.join(5)

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        if self.stop_event is not None and self.stop_event.is_set():
            # the loop checks this before it takes its first job, and tears down on the way out
            self.stopped_by_signal = True
            self._stop_requested = True


class LiveWorker(_Liveness, SimpleWorker):
    """RQ's SimpleWorker (the job runs in this process) with a heartbeat thread."""

    heartbeat_every = 10.0

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, execution, stop), name="job-heartbeat", daemon=True
        )
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beat.join()
        # (RQ's SimpleWorker sets the state IDLE here, one round trip; the next dequeue
        # sets it again before it waits for a job, and a stopping worker deletes it)

    def _beat(self, job: Job, execution: Any, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_every):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as exc:  # the job's own Redis calls will say more
                log.warning("heartbeat_failed", job_id=job.id, error=str(exc))


class ForkingLiveWorker(_Liveness, Worker):
    """RQ's forking Worker: its parent already heartbeats every job_monitoring_interval;
    only the entry's lifetime changes."""
