"""The guarded client in both flavours, behind one face, so every guard and defence test
runs against the synchronous client (feeds) and the asynchronous one (pages)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from pipeline.fetch.http import (
    FetchLimits,
    FetchResponse,
    build_async_client,
    build_client,
    fetch_feed,
    fetch_feed_async,
)
from pipeline.fetch.http.guard import Resolver

__all__ = ["AsyncClients", "HttpClients", "SyncClients"]


class HttpClients:
    """Build a guarded client and fetch with it; the flavour is the subclass."""

    name = ""
    httpx_transport: type[Any] = httpx.HTTPTransport  # the one the guard must never use

    @contextmanager
    def client(self, limits: FetchLimits, *, resolver: Resolver | None = None) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def fetch_feed(
        self,
        client: Any,
        url: str,
        *,
        limits: FetchLimits,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResponse:
        raise NotImplementedError


class SyncClients(HttpClients):
    """``build_client`` + ``fetch_feed``."""

    name = "sync"

    @contextmanager
    def client(self, limits: FetchLimits, *, resolver: Resolver | None = None) -> Iterator[Any]:
        with build_client(limits, resolver=resolver) as client:
            yield client

    def fetch_feed(
        self,
        client: Any,
        url: str,
        *,
        limits: FetchLimits,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResponse:
        return fetch_feed(client, url, limits=limits, etag=etag, last_modified=last_modified)


class AsyncClients(HttpClients):
    """``build_async_client`` + ``fetch_feed_async``, on one event loop for the test."""

    name = "async"
    httpx_transport = httpx.AsyncHTTPTransport

    def __init__(self, runner: asyncio.Runner) -> None:
        self.runner = runner

    @contextmanager
    def client(self, limits: FetchLimits, *, resolver: Resolver | None = None) -> Iterator[Any]:
        client = build_async_client(limits, resolver=resolver)
        try:
            yield client
        finally:
            self.runner.run(client.aclose())

    def fetch_feed(
        self,
        client: Any,
        url: str,
        *,
        limits: FetchLimits,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResponse:
        return self.runner.run(
            fetch_feed_async(client, url, limits=limits, etag=etag, last_modified=last_modified)
        )
