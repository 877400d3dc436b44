"""Address guard: which IPs a fetch may connect to, and the resolver seam tests stub."""

from __future__ import annotations

import socket
from typing import Protocol

__all__ = ["Resolver", "SystemResolver", "is_forbidden_address"]


class Resolver(Protocol):
    """Turns a host name and port into IP address strings."""

    def __call__(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The default resolver: ``socket.getaddrinfo``."""

    def __call__(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` to its addresses (IPv4 and IPv6), in the system's order."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]


def is_forbidden_address(ip: str) -> bool:
    """True for loopback, private, link-local, CGNAT, multicast, reserved, unspecified."""
    raise NotImplementedError
