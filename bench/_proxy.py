"""A loopback TCP proxy that breaks connections on purpose: it resets some of them and
holds some replies back past the client's timeout ("the write went through but the reply
was lost"). Listens on 127.0.0.1 only, forwards to 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time

__all__ = ["ChaosProxy"]

_CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class ChaosProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target_port>.

    Each request (a chunk from client to server) resets its connection with probability
    ``reset_rate``: half of those before the request reaches Redis, half just after it
    (Redis runs it; the reply is lost). Each reply is held back ``delay`` seconds with
    probability ``delay_rate``.
    """

    def __init__(
        self,
        target_port: int,
        *,
        reset_rate: float = 0.01,
        delay_rate: float = 0.002,
        delay: float = 3.0,
        seed: int = 0,
    ) -> None:
        self.target_port = target_port
        self.reset_rate = reset_rate
        self.delay_rate = delay_rate
        self.delay = delay
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.resets = 0
        self.delays = 0
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def _roll(self) -> float:
        with self.lock:
            return self.rng.random()

    def _count(self, what: str) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            self._count("connections")
            pair = (client, server)
            threading.Thread(target=self._requests, args=pair, daemon=True).start()
            threading.Thread(target=self._replies, args=pair, daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while data := client.recv(_CHUNK):
                roll = self._roll()
                if roll < self.reset_rate / 2:  # the request never reaches Redis
                    self._count("resets")
                    break
                server.sendall(data)
                if roll < self.reset_rate:  # Redis runs it; its reply is lost
                    time.sleep(0.005)
                    self._count("resets")
                    break
        except OSError:
            pass
        _reset(client)
        _reset(server)

    def _replies(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while data := server.recv(_CHUNK):
                if self._roll() < self.delay_rate:
                    self._count("delays")
                    time.sleep(self.delay)
                client.sendall(data)
        except OSError:
            pass
        _reset(client)
        _reset(server)

    def close(self) -> None:
        """Stop accepting; open connections end when either side closes."""
        self._stopped.set()
        self.listener.close()
