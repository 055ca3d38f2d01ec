"""A small HTTP/1.1 keep-alive client for subgraph calls: POST a body, read the answer.

Why not httpx: profiling the router over HTTP on list entity fetches found httpx and
httpcore (their pool bookkeeping, anyio stream layers, a module import attempted on
every request) at over half of the router's CPU, more than planning, merging and
shaping together. This client does the one thing the router needs with `httptools`
(uvicorn's parser, already a dependency) on plain asyncio protocols: about a tenth of
the CPU per request.

What it does: a pool of up to `max_connections` connections per origin (requests wait
for one beyond that), reused while the server keeps them alive and dropped after
`idle_seconds` unused (below the 5 s after which uvicorn and Node close idle ones), a
request cancelled mid-way closes its connection (its state is unknown), `http` and
`https`, Content-Length and chunked bodies, gzip/deflate answers. Errors are
`ConnectionError` (could not connect: `ConnectError`; lost before the whole answer
arrived: `ConnectionLost`), `DecodeError` for a compressed body that does not
decompress, or `ValueError` for a header that cannot be sent (a fault of the caller).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from typing import cast
from urllib.parse import urlsplit

import httptools


class ConnectError(ConnectionError):
    """No connection to the server could be made."""


class ConnectionLost(ConnectionError):
    """The connection closed, or sent what is not HTTP, before the whole answer."""


class DecodeError(ValueError):
    """A gzip or deflate answer that does not decompress."""


class Response:
    __slots__ = ("body", "encoding", "status")

    def __init__(self, status: int, body: bytes, encoding: bytes | None) -> None:
        self.status = status
        self.body = body
        self.encoding = encoding


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.chunks: list[bytes] = []
        self.encoding: bytes | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.keep_alive = True
        self.idle_since = 0.0
        self._header = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-encoding":
            self.encoding = value.strip().lower()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body, self.chunks = b"".join(self.chunks), []
        self.keep_alive = self.parser.should_keep_alive()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(self.parser.get_status_code(), body, self.encoding))
        self.encoding = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionLost("connection lost before a response"))

    def _fail(self) -> None:
        self.transport.close()
        self.connection_lost(None)

    def close(self) -> None:
        self.closed = True
        self.transport.close()


def _expire(waiter: asyncio.Future[Response]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class Pool:
    """Keep-alive connections to the origin of `url`; `post` sends to its path."""

    def __init__(self, url: str, max_connections: int = 100, idle_seconds: float = 4.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        authority = parts.netloc.rpartition("@")[2]
        self._start = b"POST %s HTTP/1.1\r\nhost: %s\r\n" % (target.encode(), authority.encode())
        self.max_connections = max_connections
        self.idle_seconds = idle_seconds
        self._idle: deque[_Connection] = deque()
        self._open = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def post(
        self, body: bytes, headers: Mapping[str, str], within: float | None = None
    ) -> Response:
        """The answer; `TimeoutError` when it has not come `within` seconds from now."""
        head = [self._start]
        for name, value in headers.items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r} cannot be sent")
            head.append(b"%s: %s\r\n" % (name.encode("latin-1"), value.encode("latin-1")))
        head.append(b"content-length: %d\r\n\r\n" % len(body))
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        conn = self._idle_connection()
        if conn is None:  # a connection to make, or a wait for one: under the deadline
            async with asyncio.timeout_at(deadline):
                conn = await self._acquire()
        done = False
        try:
            waiter: asyncio.Future[Response] = loop.create_future()
            conn.waiter = waiter
            # A timer on the answer, not a timeout scope: it is the one wait left, and
            # a scope costs several times a timer on every call.
            timer = None if deadline is None else loop.call_at(deadline, _expire, waiter)
            conn.transport.write(b"".join(head) + body)
            try:
                response = await waiter
            finally:
                if timer is not None:
                    timer.cancel()
            done = True
        finally:
            self._release(conn, reuse=done)
        if response.encoding in (b"gzip", b"deflate"):
            try:
                response.body = zlib.decompress(response.body, 47)  # gzip or zlib header
            except zlib.error as exc:
                raise DecodeError("response body could not be decoded") from exc
        return response

    def _idle_connection(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()  # most recently used: the likeliest still open
            if not conn.closed and now - conn.idle_since < self.idle_seconds:
                return conn
            self._drop(conn)
        return None

    async def _acquire(self) -> _Connection:
        while True:
            conn = self._idle_connection()
            if conn is not None:
                return conn
            if self._open < self.max_connections:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # our turn came as we were cancelled: pass it on
                raise

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, self.host, self.port, ssl=self.ssl)
        except OSError as exc:
            raise ConnectError("unreachable") from exc
        return conn

    def _release(self, conn: _Connection, *, reuse: bool) -> None:
        if reuse and conn.keep_alive and not conn.closed:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            self._drop(conn)
        self._wake()

    def _drop(self, conn: _Connection) -> None:
        conn.close()
        self._open -= 1

    def _wake(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        while self._idle:
            self._drop(self._idle.pop())
