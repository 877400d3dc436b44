"""Reading a response body in bounded steps: decompressed here, so the size cap counts
decoded bytes and a gzip bomb stops at ``max_bytes``, not after it has been inflated."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator

import httpx

from pipeline.errors import PermanentFetchError
from pipeline.fetch.http.deadline import cap
from pipeline.fetch.http.limits import FetchLimits

__all__ = ["read_body"]

_CHUNK = 64 * 1024


def _inflate(chunks: Iterable[bytes], wbits: int, *, members: bool = False) -> Iterator[bytes]:
    """Decompress a zlib/gzip/raw-deflate stream, at most ``_CHUNK`` output bytes per step.

    With ``members``, a stream of concatenated gzip members is decoded whole.
    """
    decoder = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            if decoder.eof and members:
                decoder = zlib.decompressobj(wbits)
            out = decoder.decompress(data, _CHUNK)
            if out:
                yield out
            data = decoder.unconsumed_tail
            # Output may still be pending inside zlib when the input was used up exactly.
            while not data and len(out) == _CHUNK and not decoder.eof:
                out = decoder.decompress(b"", _CHUNK)
                if out:
                    yield out
            if not data and decoder.eof and members:
                data = decoder.unused_data
    tail = decoder.flush()
    if tail:
        yield tail


def _inflate_deflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP "deflate" is zlib-wrapped by the spec, raw deflate in practice: accept both."""
    iterator = iter(chunks)
    first = b""
    for first in iterator:
        if first:
            break
    if not first:
        return
    wbits = zlib.MAX_WBITS
    try:
        zlib.decompressobj(wbits).decompress(first[:64])
    except zlib.error:
        wbits = -zlib.MAX_WBITS

    def replay() -> Iterator[bytes]:
        yield first
        yield from iterator

    yield from _inflate(replay(), wbits)


_DECODERS: dict[str, Callable[[Iterable[bytes]], Iterator[bytes]]] = {
    "gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS, members=True),
    "x-gzip": lambda chunks: _inflate(chunks, 16 + zlib.MAX_WBITS, members=True),
    "deflate": _inflate_deflate,
    "identity": lambda chunks: iter(chunks),
}


def read_body(response: httpx.Response, limits: FetchLimits) -> bytes:
    """The decoded body, stopping as soon as it exceeds ``max_bytes`` or the deadline."""
    encodings = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    encodings = [e for e in encodings if e and e != "identity"]
    for encoding in encodings:
        if encoding not in _DECODERS:
            raise PermanentFetchError(f"unsupported Content-Encoding {encoding!r}")
    length = response.headers.get("content-length", "")
    if not encodings and length.isdigit() and int(length) > limits.max_bytes:
        raise PermanentFetchError(
            f"body of {int(length)} bytes is over the {limits.max_bytes}-byte limit"
        )
    chunks: Iterable[bytes] = response.iter_raw(_CHUNK)
    for encoding in reversed(encodings):  # the last encoding listed was applied last
        chunks = _DECODERS[encoding](chunks)
    body = bytearray()
    try:
        for piece in chunks:
            body += piece
            if len(body) > limits.max_bytes:
                raise PermanentFetchError(
                    f"body is over the {limits.max_bytes}-byte limit (counted after decompression)"
                )
            cap(None, httpx.ReadTimeout)
    except zlib.error as exc:
        raise PermanentFetchError(f"body could not be decompressed: {exc}") from exc
    return bytes(body)
