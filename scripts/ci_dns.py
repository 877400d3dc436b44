"""A DNS server for compose-test's Prometheus: service discovery where Docker's DNS is not.

On the host network (CI) there is no Docker DNS to answer ``worker`` with every replica's
address, and every replica shares 127.0.0.1 on a port of its own. This answers SRV queries
for a service name with one record per port of the service's range that accepts a TCP
connection right now, so Prometheus's ``dns_sd_configs`` (type SRV) finds replicas as they
start and stop, as it finds them through Docker's DNS in production. Other queries get
NXDOMAIN. Loopback only; stops on SIGTERM.

    python scripts/ci_dns.py --listen 127.0.0.53 --service worker=20001-20010 \
        --service pages=20013
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
from collections.abc import Sequence

SRV = 33
IN = 1
ANY = 255


def parse_question(packet: bytes) -> tuple[int, int, str, int, int]:
    """(id, flags, name, qtype, end of the question) of a query with one question."""
    if len(packet) < 12:
        raise ValueError("short packet")
    ident, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question per query")
    labels, at = [], 12
    while True:
        length = packet[at]
        at += 1
        if length == 0:
            break
        if length & 0xC0:
            raise ValueError("no compression in a question")
        labels.append(packet[at : at + length].decode("ascii").lower())
        at += length
    qtype, _qclass = struct.unpack("!HH", packet[at : at + 4])
    return ident, flags, ".".join(labels), qtype, at + 4


def encode_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def answer(packet: bytes, live_ports: dict[str, list[int]], ttl: int = 1) -> bytes:
    """The response to ``packet``: SRV records (target 127.0.0.1) for a known service name,
    else NXDOMAIN."""
    ident, flags, name, qtype, end = parse_question(packet)
    question = packet[12:end]
    ports = live_ports.get(name)
    rd = flags & 0x0100
    if ports is None:
        header = struct.pack("!HHHHHH", ident, 0x8400 | rd | 3, 1, 0, 0, 0)  # NXDOMAIN
        return header + question
    records = b""
    count = 0
    if qtype in (SRV, ANY):
        target = encode_name("127.0.0.1")
        for port in ports:
            rdata = struct.pack("!HHH", 0, 0, port) + target
            # the owner name points back at the question (offset 12)
            records += struct.pack("!HHHIH", 0xC00C, SRV, IN, ttl, len(rdata)) + rdata
            count += 1
    header = struct.pack("!HHHHHH", ident, 0x8400 | rd, 1, count, 0, 0)
    return header + question + records


def accepting(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def port_range(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="a loopback address (port 53)")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--service", action="append", default=[], help="NAME=PORT[-PORT]")
    args = parser.parse_args(argv)
    if not args.listen.startswith("127."):
        parser.error("--listen must be a loopback address")
    services = {}
    for spec in args.service:
        name, _, ports = spec.partition("=")
        services[name.lower().strip(".")] = port_range(ports)
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((args.listen, args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ci_dns: serving {sorted(services)} on {args.listen}:{args.port}", flush=True)
    while True:
        packet, client = server.recvfrom(512)
        try:
            live = {name: [p for p in ports if accepting(p)] for name, ports in services.items()}
            server.sendto(answer(packet, live), client)
        except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
            print(f"ci_dns: bad query from {client}: {exc}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
