"""How the router reaches a subgraph: in-process or over HTTP, with one contract."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx
import orjson

from router import http1
from shared import tracing

Execute = Callable[[dict[str, Any], Mapping[str, str]], Awaitable[dict[str, Any]]]

REQUEST_ID = "x-request-id"
"""The header a request's id travels in: from the client, to the subgraphs, and back."""


def to_json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        # orjson stops at 255 levels (and at 64-bit integers); the answer to a document
        # as deep as the parser allows can nest deeper, as each list adds a level.
        return json.dumps(value, separators=(",", ":")).encode()


class TransportError(Exception):
    """The subgraph did not give a GraphQL response.

    The message reaches clients ("subgraph x failed: <message>"), so it is written by
    the router and says what went wrong without internals (no URLs, no library text).
    """


class Transport(Protocol):
    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        """Send a GraphQL-over-HTTP JSON body; return the GraphQL response dict.

        A subgraph that cannot be reached or gives no GraphQL response raises
        `TransportError`, `TimeoutError` or `ConnectionError`; anything else raised is
        taken for a fault of the router's own, logged and masked. A transport with a
        `timeout` attribute (seconds) enforces it itself: the executor adds no timeout
        of its own when the subgraph's is no shorter.
        """
        ...


class InProcessTransport:
    """Calls a subgraph's executor directly: same result as HTTP, without the wire."""

    def __init__(self, execute: Execute) -> None:
        self._execute = execute

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        return await self._execute(request, headers)

    async def aclose(self) -> None:
        return None


class TracedTransport:
    """A subgraph call as a client span, whose `traceparent` travels with the call so the
    subgraph's spans join the router's trace (`shared.tracing`)."""

    def __init__(self, name: str, inner: Transport) -> None:
        self.name = name
        self.inner = inner

    @property
    def timeout(self) -> float | None:
        """The inner transport's own timeout, if it has one (`Executor.send`)."""
        return getattr(self.inner, "timeout", None)

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        with tracing.client_span(f"router fetch {self.name}", **{"nexo.subgraph": self.name}):
            return await self.inner.fetch(request, tracing.inject(headers))

    async def aclose(self) -> None:
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


def traced_transports(transports: Mapping[str, Transport]) -> Mapping[str, Transport]:
    """`transports` each in a `TracedTransport` when tracing is on; as they are when off
    (no layer on the hot path)."""
    if not tracing.enabled():
        return transports
    return {name: TracedTransport(name, t) for name, t in transports.items()}


class HttpTransport:
    """One pooled keep-alive client per subgraph."""

    def __init__(
        self,
        url: str,
        timeout: float = 30.0,
        max_connections: int = 100,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        # The router's own HTTP/1.1 client (`router.http1`: a tenth of httpx's CPU per
        # call); httpx only when a test hands in an httpx transport to call through.
        self._pool = http1.Pool(url, max_connections) if transport is None else None
        self._client = (
            httpx.AsyncClient(
                transport=transport,
                timeout=timeout,
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                ),
            )
            if transport is not None
            else None
        )

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        sent = {"content-type": "application/json", "accept": "application/json", **headers}
        content = to_json(request)
        if self._pool is None:
            status, raw = await self._httpx_post(content, sent)
        else:
            # The client libraries' messages name hosts and ports: clients get ours.
            try:
                response = await self._pool.post(content, sent, self.timeout)
            except http1.ConnectError as exc:
                raise TransportError("unreachable") from exc
            except http1.ConnectionLost as exc:
                raise TransportError("connection lost before a response") from exc
            except http1.DecodeError as exc:
                raise TransportError("response body could not be decoded") from exc
            status, raw = response.status, response.body
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise TransportError(f"HTTP {status} with a body that is not JSON") from exc
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise TransportError(f"HTTP {status} without a GraphQL response")
        return body

    async def _httpx_post(self, content: bytes, sent: dict[str, str]) -> tuple[int, bytes]:
        assert self._client is not None
        try:
            response = await self._client.post(self.url, content=content, headers=sent)
        except httpx.TimeoutException as exc:
            raise TimeoutError from exc
        except httpx.ConnectError as exc:
            raise TransportError("unreachable") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransportError("connection lost before a response") from exc
        except httpx.DecodingError as exc:
            raise TransportError("response body could not be decoded") from exc
        return response.status_code, response.content

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
        if self._client is not None:
            await self._client.aclose()
