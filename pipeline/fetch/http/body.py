"""Reading a response body in bounded steps: decompressed here, so the size cap counts
decoded bytes and a gzip bomb stops at ``max_bytes``, not after it has been inflated.

The decoding is push-style (:class:`BodyReader` is fed raw chunks as they arrive), so the
synchronous and the asynchronous fetch share it: each only loops over its own stream.
"""

from __future__ import annotations

import zlib

import httpx

from pipeline.errors import PermanentFetchError
from pipeline.fetch.http.deadline import cap
from pipeline.fetch.http.limits import FetchLimits

__all__ = ["CHUNK", "BodyReader", "BodyTooLarge", "read_body", "read_body_async"]

CHUNK = 64 * 1024


class BodyTooLarge(PermanentFetchError):
    """The body is over the size cap (declared, or counted after decompression)."""


class _Sink:
    """Where decoded bytes go: the body so far, refused as soon as it passes the cap."""

    def __init__(self, max_bytes: int) -> None:
        self.body = bytearray()
        self.max_bytes = max_bytes

    def push(self, data: bytes) -> None:
        self.body += data
        if len(self.body) > self.max_bytes:
            raise BodyTooLarge(
                f"body is over the {self.max_bytes}-byte limit (counted after decompression)"
            )

    def finish(self) -> None:
        pass


class _Inflater:
    """Decompresses a zlib/gzip/raw-deflate stream, at most ``CHUNK`` output bytes a step.

    ``wbits=None`` means HTTP "deflate": zlib-wrapped by the spec, raw in practice, so
    the first bytes decide. With ``members``, concatenated gzip members decode whole.
    """

    def __init__(self, out: _Sink | _Inflater, wbits: int | None, *, members: bool = False):
        self.out = out
        self.wbits = wbits
        self.members = members
        self.decoder = zlib.decompressobj(wbits) if wbits is not None else None

    def push(self, data: bytes) -> None:
        if not data:
            return
        if self.decoder is None:
            self.wbits = zlib.MAX_WBITS
            try:
                zlib.decompressobj(self.wbits).decompress(data[:64])
            except zlib.error:
                self.wbits = -zlib.MAX_WBITS
            self.decoder = zlib.decompressobj(self.wbits)
        decoder = self.decoder
        while data:
            if decoder.eof and self.members:
                decoder = self.decoder = zlib.decompressobj(self.wbits or zlib.MAX_WBITS)
            out = decoder.decompress(data, CHUNK)
            if out:
                self.out.push(out)
            data = decoder.unconsumed_tail
            # Output may still be pending inside zlib when the input was used up exactly.
            while not data and len(out) == CHUNK and not decoder.eof:
                out = decoder.decompress(b"", CHUNK)
                if out:
                    self.out.push(out)
            if not data and decoder.eof and self.members:
                data = decoder.unused_data

    def finish(self) -> None:
        if self.decoder is not None:
            tail = self.decoder.flush()
            if tail:
                self.out.push(tail)
        self.out.finish()


def _stage(encoding: str, out: _Sink | _Inflater) -> _Inflater:
    if encoding in ("gzip", "x-gzip"):
        return _Inflater(out, 16 + zlib.MAX_WBITS, members=True)
    return _Inflater(out, None)  # deflate


_KNOWN = frozenset({"gzip", "x-gzip", "deflate"})


class BodyReader:
    """Decodes one response's body as raw chunks are fed to it, within the limits."""

    def __init__(self, headers: httpx.Headers, limits: FetchLimits) -> None:
        encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"]
        for encoding in encodings:
            if encoding not in _KNOWN:
                raise PermanentFetchError(f"unsupported Content-Encoding {encoding!r}")
        length = headers.get("content-length", "")
        if not encodings and length.isdigit() and int(length) > limits.max_bytes:
            raise BodyTooLarge(
                f"body of {int(length)} bytes is over the {limits.max_bytes}-byte limit"
            )
        self._sink = _Sink(limits.max_bytes)
        head: _Sink | _Inflater = self._sink
        # The first encoding listed was applied first, so it is undone last.
        for encoding in encodings:
            head = _stage(encoding, head)
        self._head = head

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk; raises when the body passes the cap or the deadline."""
        try:
            self._head.push(chunk)
        except zlib.error as exc:
            raise PermanentFetchError(f"body could not be decompressed: {exc}") from exc
        cap(None, httpx.ReadTimeout)

    def finish(self) -> bytes:
        """The whole decoded body."""
        try:
            self._head.finish()
        except zlib.error as exc:
            raise PermanentFetchError(f"body could not be decompressed: {exc}") from exc
        return bytes(self._sink.body)


def read_body(response: httpx.Response, limits: FetchLimits) -> bytes:
    """The decoded body, stopping as soon as it exceeds ``max_bytes`` or the deadline."""
    reader = BodyReader(response.headers, limits)
    for chunk in response.iter_raw(CHUNK):
        reader.feed(chunk)
    return reader.finish()


async def read_body_async(response: httpx.Response, limits: FetchLimits) -> bytes:
    """:func:`read_body` for a response of an ``httpx.AsyncClient``."""
    reader = BodyReader(response.headers, limits)
    async for chunk in response.aiter_raw(CHUNK):
        reader.feed(chunk)
    return reader.finish()
