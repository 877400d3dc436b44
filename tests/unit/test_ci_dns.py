"""scripts/ci_dns.py, the DNS server compose-test's Prometheus discovers replicas with: the
records it answers are well-formed SRV records naming the ports that accept connections."""

from __future__ import annotations

import importlib.util
import socket
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[2]


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_dns", ROOT / "scripts" / "ci_dns.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _query(name: str, qtype: int, ident: int = 0x1234) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p)
    return (
        struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
        + labels
        + b"\0"
        + struct.pack("!HH", qtype, 1)
    )


def _read_name(packet: bytes, at: int) -> tuple[str, int]:
    labels, end = [], None
    while True:
        length = packet[at]
        if length & 0xC0 == 0xC0:
            end = end or at + 2
            at = ((length & 0x3F) << 8) | packet[at + 1]
            continue
        at += 1
        if length == 0:
            return ".".join(labels), end or at
        labels.append(packet[at : at + length].decode())
        at += length


def _records(packet: bytes) -> tuple[int, int, list[tuple[str, int, str]]]:
    """(id, rcode, [(owner, port, target)]) of a response."""
    ident, flags, qd, an, _ns, _ar = struct.unpack("!HHHHHH", packet[:12])
    at = 12
    for _ in range(qd):
        _name, at = _read_name(packet, at)
        at += 4
    out = []
    for _ in range(an):
        owner, at = _read_name(packet, at)
        rtype, _rclass, _ttl, length = struct.unpack("!HHIH", packet[at : at + 10])
        at += 10
        assert rtype == 33
        _prio, _weight, port = struct.unpack("!HHH", packet[at : at + 6])
        target, _ = _read_name(packet, at + 6)
        out.append((owner, port, target))
        at += length
    return ident, flags & 0xF, out


def test_srv_records_name_the_live_ports_of_a_service() -> None:
    ci_dns = _module()
    response = ci_dns.answer(_query("worker", 33), {"worker": [20001, 20004]})
    ident, rcode, records = _records(response)
    assert (ident, rcode) == (0x1234, 0)
    assert records == [("worker", 20001, "127.0.0.1"), ("worker", 20004, "127.0.0.1")]


def test_an_unknown_name_is_nxdomain_and_other_types_get_no_records() -> None:
    ci_dns = _module()
    assert _records(ci_dns.answer(_query("grafana", 33), {"worker": [1]}))[1] == 3
    assert _records(ci_dns.answer(_query("worker", 1), {"worker": [1]}))[1:] == (0, [])


def test_the_server_answers_with_the_ports_that_accept_connections() -> None:
    listening, closed = socket.socket(), socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    live, dead = listening.getsockname()[1], closed.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        dns_port = probe.getsockname()[1]
    args = ["--listen", "127.0.0.1", "--port", str(dns_port)]
    args += ["--service", f"worker={live}", "--service", f"pages={dead}"]
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "ci_dns.py"), *args], stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None and b"serving" in server.stdout.readline()
        answers = {}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            for name in ("worker.", "pages"):
                client.sendto(_query(name, 33), ("127.0.0.1", dns_port))
                answers[name] = _records(client.recv(512))[2]
        assert answers == {"worker.": [("worker", live, "127.0.0.1")], "pages": []}
    finally:
        listening.close()
        closed.close()
        server.terminate()
        server.wait(5)


def test_it_refuses_to_listen_off_loopback() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ci_dns.py"), "--listen", "0.0.0.0"],
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 2 and b"loopback" in done.stderr
