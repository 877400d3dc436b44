"""Address guard: which IPs a fetch may connect to, and the resolver seam tests stub.

The guard sits where the TCP connection is made (an httpcore network backend), so the
address that is checked is the address that is dialled: a name that resolves to a
public address for the check and to 169.254.169.254 for the connect (DNS rebinding)
cannot get through, because there is only one resolution and its result is used.
:class:`AsyncGuardedBackend` is the same guard for ``httpcore.AsyncConnectionPool``: the
look-up (``getaddrinfo`` blocks) runs on a worker thread, never on the event loop.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

import anyio.to_thread
import httpcore

from pipeline.errors import PermanentFetchError, TransientFetchError

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "AsyncGuardedBackend",
    "GuardedBackend",
    "Resolver",
    "SystemResolver",
    "describe_forbidden",
    "is_forbidden_address",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Networks Python's ``is_global`` does not cover or that we name explicitly for messages.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Resolver(Protocol):
    """Turns a host name and port into IP address strings."""

    def __call__(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The default resolver: ``socket.getaddrinfo``."""

    def __call__(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` to its addresses (IPv4 and IPv6), in the system's order."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AddressRefused(PermanentFetchError):
    """The feed's address is in a range the fetcher may not reach."""


def describe_forbidden(ip: str) -> str | None:
    """Why ``ip`` may not be fetched from ("loopback", "private", ...), or None if it may."""
    try:
        addr: IPAddress = ipaddress.ip_address(ip.strip("[]").split("%", 1)[0])
    except ValueError:
        return "unparseable"
    if isinstance(addr, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches that IPv4 host: judge the inner one.
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            inner = describe_forbidden(str(embedded))
            return None if inner is None else f"IPv6-embedded {inner}"
    if addr.is_unspecified:
        return "unspecified"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr in _CGNAT:
        return "shared (CGNAT)"
    if addr.is_multicast:
        return "multicast"
    if addr.is_private:
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return None


def is_forbidden_address(ip: str) -> bool:
    """True for loopback, private, link-local, CGNAT, multicast, reserved, unspecified."""
    return describe_forbidden(ip) is not None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve_within(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """Run the resolver, giving up after ``timeout`` seconds (getaddrinfo has no timeout).

    The look-up runs on a daemon thread, so one that hangs is abandoned, not waited for,
    and cannot hold up the fetch or the process's exit.
    """
    if timeout is None:
        return resolver(host, port)
    result: list[list[str]] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(resolver(host, port))
        except BaseException as exc:  # handed to the waiting thread
            error.append(exc)

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.001))
    if error:
        raise error[0]
    if not result:
        message = f"resolving {host} took longer than {timeout:.1f} s"
        raise httpcore.ConnectTimeout(message)
    return result[0]


@dataclass(frozen=True)
class AddressPolicy:
    """Which destinations are allowed: public addresses, plus what the settings open up."""

    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    def is_listed(self, host: str, port: int) -> bool:
        """True when ``host`` (as written in the URL) or ``host:port`` is on the allow-list."""
        host = host.lower().strip("[]")
        return host in self.allowed_hosts or f"{host}:{port}" in self.allowed_hosts

    def vet(
        self, host: str, port: int, resolver: Resolver, *, timeout: float | None = None
    ) -> list[str]:
        """The addresses of ``host`` it is safe to dial; AddressRefused when there are none."""
        host = host.strip("[]")
        trusted = self.allow_private or self.is_listed(host, port)
        if _is_ip_literal(host):
            ips = [host]
        else:
            try:
                ips = _resolve_within(resolver, host, port, timeout)
            except OSError as exc:
                raise TransientFetchError(f"could not resolve host {host}: {exc}") from exc
            if not ips:
                raise TransientFetchError(f"could not resolve host {host}: no addresses")
        if trusted:
            return ips
        allowed = [ip for ip in ips if not is_forbidden_address(ip)]
        if not allowed:
            ip = ips[0]
            shown = host if host == ip else f"{host} ({ip})"
            raise AddressRefused(
                f"refused to connect to {shown}: a {describe_forbidden(ip)} address"
                " (PIPELINE_FETCH_ALLOW_PRIVATE allows it)"
            )
        return allowed


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that vets the resolved address, then dials exactly it."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver | None = None,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver: Resolver = resolver or SystemResolver()
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first vetted address of ``host`` that answers."""
        ips = self._policy.vet(host, port, self._resolver, timeout=timeout)
        error: Exception | None = None
        for ip in ips:
            try:
                return self._inner.connect_tcp(
                    ip,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Unix sockets are never a feed's address."""
        raise AddressRefused(f"refused to connect to unix socket {path}")

    def sleep(self, seconds: float) -> None:
        """Delegate to the wrapped backend."""
        self._inner.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """:class:`GuardedBackend` for asyncio: the same policy, the look-up off the loop."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver: Resolver = resolver or SystemResolver()
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first vetted address of ``host`` that answers."""
        vet = partial(self._policy.vet, host, port, self._resolver, timeout=timeout)
        ips = vet() if _is_ip_literal(host.strip("[]")) else await anyio.to_thread.run_sync(vet)
        error: Exception | None = None
        for ip in ips:
            try:
                return await self._inner.connect_tcp(
                    ip,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never a page's address."""
        raise AddressRefused(f"refused to connect to unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        """Delegate to the wrapped backend."""
        await self._inner.sleep(seconds)
