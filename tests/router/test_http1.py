"""The router's HTTP/1.1 client (`router.http1`) against servers that answer by hand:
keep-alive reuse, the pool bound, chunked and gzip bodies, servers that close, and
the errors `HttpTransport` turns into the router's own words."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import orjson
import pytest

from router import http1
from router.transport import HttpTransport, TransportError

GRAPHQL = orjson.dumps({"data": {"ok": True}})
Answer = Callable[[bytes], bytes | None]


def plain(body: bytes = GRAPHQL, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


class Server:
    """Reads each request whole, answers `answer(request)` (None: close instead)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = self.answer(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[Server]:
    server = Server(answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}/graphql?x=1"
    try:
        yield server
    finally:
        listener.close()


async def test_one_keep_alive_connection_serves_requests_in_turn() -> None:
    async with serving(lambda _: plain()) as server:
        pool = http1.Pool(server.url)
        for _ in range(5):
            response = await pool.post(b"{}", {"content-type": "application/json"})
            assert (response.status, response.body) == (200, GRAPHQL)
        await pool.aclose()
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /graphql?x=1 HTTP/1.1\r\nhost: 127.0.0.1:")
    assert b"content-type: application/json\r\ncontent-length: 2\r\n\r\n{}" in server.requests[0]


async def test_requests_beyond_the_bound_wait_for_a_connection() -> None:
    async with serving(lambda _: plain()) as server:
        pool = http1.Pool(server.url, max_connections=2)
        answers = await asyncio.gather(*(pool.post(b"{}", {}) for _ in range(10)))
        await pool.aclose()
    assert [a.body for a in answers] == [GRAPHQL] * 10
    assert server.connections == 2


async def test_chunked_and_gzip_bodies_are_decoded() -> None:
    packed = gzip.compress(GRAPHQL)
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n"
        + b"%x\r\n%s\r\n" % (5, packed[:5])
        + b"%x\r\n%s\r\n" % (len(packed) - 5, packed[5:])
        + b"0\r\n\r\n"
    )
    async with serving(lambda _: chunked) as server:
        pool = http1.Pool(server.url)
        assert (await pool.post(b"{}", {})).body == GRAPHQL
        assert (await pool.post(b"{}", {})).body == GRAPHQL
        await pool.aclose()
    assert server.connections == 1


async def test_a_connection_the_server_closes_is_not_reused() -> None:
    async with serving(lambda _: plain(extra=b"connection: close\r\n")) as server:
        pool = http1.Pool(server.url)
        for _ in range(3):
            assert (await pool.post(b"{}", {})).body == GRAPHQL
        await pool.aclose()
    assert server.connections == 3


async def test_an_idle_connection_is_dropped_before_the_server_would_drop_it() -> None:
    async with serving(lambda _: plain()) as server:
        pool = http1.Pool(server.url, idle_seconds=0.0)
        for _ in range(2):
            await pool.post(b"{}", {})
        await pool.aclose()
    assert server.connections == 2


async def test_a_cancelled_request_closes_its_connection_and_frees_its_place() -> None:
    answers = iter([None, plain()])
    stalled = asyncio.Event()

    def answer(_: bytes) -> bytes | None:
        found = next(answers)
        if found is None:
            stalled.set()
            return b""  # nothing yet: the client gives up first
        return found

    async with serving(answer) as server:
        pool = http1.Pool(server.url, max_connections=1)
        first = asyncio.ensure_future(pool.post(b"{}", {}))
        await stalled.wait()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert (await asyncio.wait_for(pool.post(b"{}", {}), 5)).body == GRAPHQL
        await pool.aclose()
    assert server.connections == 2


async def test_an_answer_late_past_its_time_is_a_timeout_and_its_connection_goes() -> None:
    answers = iter([b"", plain()])  # the first never answered

    async with serving(lambda _: next(answers)) as server:
        pool = http1.Pool(server.url, max_connections=1)
        with pytest.raises(TimeoutError):
            await pool.post(b"{}", {}, within=0.2)
        # The late connection's state is unknown: the next request makes a new one.
        assert (await pool.post(b"{}", {}, within=5)).body == GRAPHQL
        await pool.aclose()
    assert server.connections == 2


async def test_the_wait_for_a_connection_counts_against_the_time() -> None:
    stall = asyncio.Event()

    def answer(_: bytes) -> bytes | None:
        stall.set()
        return b""  # holds the pool's one connection

    async with serving(answer) as server:
        pool = http1.Pool(server.url, max_connections=1)
        holder = asyncio.ensure_future(pool.post(b"{}", {}))
        await stall.wait()
        with pytest.raises(TimeoutError):
            await pool.post(b"{}", {}, within=0.2)
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        await pool.aclose()
    assert server.connections == 1


async def test_a_header_with_a_line_break_is_never_sent() -> None:
    async with serving(lambda _: plain()) as server:
        pool = http1.Pool(server.url)
        with pytest.raises(ValueError, match="cannot be sent"):
            await pool.post(b"{}", {"authorization": "x\r\nx-injected: 1"})
        await pool.aclose()
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda _: None, "connection lost before a response"),
        (
            lambda _: b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 99\r\n\r\n{",
            "connection lost before a response",
        ),
        (lambda _: b"NOT HTTP AT ALL\r\n\r\n", "connection lost before a response"),
        (lambda _: plain(b"<html>"), "HTTP 200 with a body that is not JSON"),
        (lambda _: plain(b"[1]"), "HTTP 200 without a GraphQL response"),
        (
            lambda _: plain(b"not gzip", b"content-encoding: gzip\r\n"),
            "response body could not be decoded",
        ),
    ],
)
async def test_a_broken_answer_is_a_transport_error_in_the_routers_words(
    answer: Answer, reason: str
) -> None:
    async with serving(answer) as server:
        transport = HttpTransport(server.url, timeout=5)
        with pytest.raises(TransportError, match=reason) as raised:
            await transport.fetch({"query": "{ ok }"}, {})
        await transport.aclose()
    assert "127.0.0.1" not in str(raised.value)


async def test_an_unreachable_subgraph_and_a_slow_one() -> None:
    async with serving(lambda _: plain()) as server:
        url = server.url
    transport = HttpTransport(url)
    with pytest.raises(TransportError, match=r"^unreachable$"):
        await transport.fetch({"query": "{ ok }"}, {})
    async with serving(lambda _: b"") as slow:
        transport = HttpTransport(slow.url, timeout=0.2)
        with pytest.raises(TimeoutError):
            await transport.fetch({"query": "{ ok }"}, {})
        await transport.aclose()


def test_only_http_urls_are_taken() -> None:
    with pytest.raises(ValueError, match="not an http"):
        http1.Pool("ftp://example.com/graphql")
