"""A minimal HTTP/1.1 keep-alive server and client for bench/router.py.

The server answers each subgraph request from a memo of that subgraph's responses (by
request body, computed by Strawberry the first time); the client sends a prepared
request on a kept-alive connection. Both cost tens of microseconds per request, so the
benchmark measures the gateways between them, not Strawberry or the load generator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import httptools
import orjson
from router_harness import strawberry_executor


class Memo:
    """One subgraph's answers by request body, each computed once by Strawberry."""

    def __init__(self, schema: Any) -> None:
        self.execute = strawberry_executor(schema)
        self.answers: dict[bytes, bytes] = {}
        self.requests = 0

    async def answer(self, body: bytes) -> bytes:
        request = orjson.loads(body)
        content = orjson.dumps(await self.execute(request, {}))
        response = _response(content)
        if len(self.answers) < 10_000:
            self.answers[body] = response
        return response


def _response(content: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    return head % len(content) + content


class ServerProtocol(asyncio.Protocol):
    """POST: the memo's answer to the body; GET /count: requests answered so far by
    every subgraph of the process (so the benchmark counts subgraph fetches)."""

    def __init__(self, memo: Memo, counts: Callable[[], int]) -> None:
        self.memo = memo
        self.counts = counts
        self.parser = httptools.HttpRequestParser(self)
        self.chunks: list[bytes] = []
        self.url = b""
        self.pending: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body, self.chunks = b"".join(self.chunks), []
        if self.url == b"/count":
            self.transport.write(_response(b"%d" % self.counts()))
            return
        self.memo.requests += 1
        found = self.memo.answers.get(body)
        if found is not None:
            self.transport.write(found)
        else:
            self.pending = asyncio.ensure_future(self._miss(body))

    async def _miss(self, body: bytes) -> None:
        self.transport.write(await self.memo.answer(body))


class Connection(asyncio.Protocol):
    """One keep-alive client connection; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.chunks: list[bytes] = []
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body, self.chunks = b"".join(self.chunks), []
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))

    closed = False

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


class Client:
    """A connection that is made again when the server closed it (idle keep-alive
    connections are closed after a few seconds, e.g. while other cases run)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: Connection | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        fresh = self.conn is None or self.conn.closed
        if self.conn is None or self.conn.closed:
            self.conn = await connect(self.host, self.port)
        try:
            return await self.conn.request(raw)
        except ConnectionError:
            if fresh:
                raise
            # The server closed the idle connection as the request went out: the
            # request (a query) is sent again on a new one.
            self.conn = await connect(self.host, self.port)
            return await self.conn.request(raw)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.transport.close()


def raw_request(url: str, body: bytes | None) -> tuple[str, int, bytes]:
    """Host, port and the bytes of a POST of `body` (a GET when None) to `url`."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    method = b"GET" if body is None else b"POST"
    head = b"%s /%s HTTP/1.1\r\nhost: %s\r\n" % (method, path.encode(), host_port.encode())
    if body is not None:
        head += b"content-type: application/json\r\naccept: application/json\r\n"
        head += b"content-length: %d\r\n" % len(body)
    return host, int(port), head + b"\r\n" + (body or b"")


async def connect(host: str, port: int) -> Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(Connection, host, port)
    return protocol


async def fetch_once(url: str, body: bytes | None) -> bytes:
    host, port, raw = raw_request(url, body)
    conn = await connect(host, port)
    try:
        status, content = await conn.request(raw)
    finally:
        conn.transport.close()
    if status != 200:
        raise RuntimeError(f"{url}: HTTP {status}")
    return content
