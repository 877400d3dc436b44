"""A thread pool that never runs more than ``per_host`` tasks for one host at once.

Tasks wait in a per-host queue instead of in a worker thread, so one publisher with
hundreds of feeds cannot occupy the pool while other hosts' feeds are due. The threads
are daemon threads: a task that hangs can be abandoned (``close(timeout=...)``) and does
not keep the process alive, which ``concurrent.futures.ThreadPoolExecutor`` would (its
threads are joined at interpreter exit).
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, Generic, TypeVar

__all__ = ["HostPool"]

T = TypeVar("T")


class HostPool(Generic[T]):
    """Runs keyed tasks on threads, at most ``per_host`` per host and ``workers`` in all."""

    def __init__(
        self, *, workers: int, per_host: int, on_done: Callable[[], None] | None = None
    ) -> None:
        self._workers = max(1, workers)
        self._per_host = max(1, per_host)
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._cond = threading.Condition(threading.RLock())
        self._queued: OrderedDict[str, deque[tuple[str, Callable[[], T]]]] = OrderedDict()
        self._running: dict[str, int] = {}
        self._total_running = 0
        self._keys: set[str] = set()
        self._results: list[tuple[str, Future[T]]] = []
        self._on_done = on_done

    def submit(self, key: str, host: str, task: Callable[[], T]) -> bool:
        """Queue ``task`` unless a task with ``key`` is already queued or running."""
        with self._cond:
            if key in self._keys:
                return False
            self._keys.add(key)
            self._queued.setdefault(host, deque()).append((key, task))
            self._pump()
            return True

    def _pump(self) -> None:
        # Round-robin over hosts so a host with a long queue does not go first every time.
        for host in list(self._queued):
            waiting = self._queued.get(host)
            if waiting is None:  # emptied by a task that finished inside this loop
                continue
            while waiting and self._total_running < self._workers:
                if self._running.get(host, 0) >= self._per_host:
                    break
                key, task = waiting.popleft()
                self._running[host] = self._running.get(host, 0) + 1
                self._total_running += 1
                future: Future[T] = Future()
                future.add_done_callback(partial(self._finished, key, host))
                self._start(future, task)
            if not waiting:
                self._queued.pop(host, None)
            elif host in self._queued:
                self._queued.move_to_end(host)

    def _start(self, future: Future[T], task: Callable[[], T]) -> None:
        # Called with the lock held; at most ``workers`` tasks run, so at most that many
        # threads are ever started.
        if self._idle == 0:
            thread = threading.Thread(
                target=self._serve, name=f"fetch-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        else:
            self._idle -= 1
        self._work.put((future, task))

    def _serve(self) -> None:
        while True:
            job = self._work.get()
            if job is None:
                return
            future, task = job
            if not future.set_running_or_notify_cancel():
                continue
            error: BaseException | None = None
            try:
                result = task()
            except BaseException as exc:  # handed to whoever reads the future
                error = exc
            # Idle before the future's callbacks run: they may hand this thread the next task.
            with self._cond:
                self._idle += 1
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def _finished(self, key: str, host: str, future: Future[T]) -> None:
        with self._cond:
            self._running[host] -= 1
            if not self._running[host]:
                del self._running[host]
            self._total_running -= 1
            self._keys.discard(key)
            self._results.append((key, future))
            self._pump()
            self._cond.notify_all()
        if self._on_done is not None:
            self._on_done()

    def busy(self, key: str) -> bool:
        """True while a task with ``key`` is queued or running."""
        with self._cond:
            return key in self._keys

    @property
    def pending(self) -> int:
        """Tasks queued or running."""
        with self._cond:
            return len(self._keys)

    def take_results(self) -> list[tuple[str, Future[T]]]:
        """The finished tasks since the last call, as (key, future)."""
        with self._cond:
            results, self._results = self._results, []
            return results

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._keys, timeout)

    def cancel_queued(self) -> int:
        """Drop the tasks that have not started; returns how many."""
        with self._cond:
            dropped = 0
            for waiting in self._queued.values():
                for key, _task in waiting:
                    self._keys.discard(key)
                    dropped += 1
            self._queued.clear()
            self._cond.notify_all()
            return dropped

    def running(self) -> list[str]:
        """The keys of the tasks running now."""
        with self._cond:
            queued = {key for q in self._queued.values() for key, _task in q}
            return sorted(self._keys - queued)

    def close(self, timeout: float | None = None) -> list[str]:
        """Drop queued tasks, wait for running ones (at most ``timeout`` seconds), release
        the threads. Returns the keys of the tasks abandoned still running (daemon threads:
        they end with the process)."""
        self.cancel_queued()
        self.wait_idle(timeout)
        abandoned = self.running()
        for _thread in self._threads:
            self._work.put(None)
        if not abandoned:
            for thread in self._threads:
                thread.join()
        return abandoned
