"""How the router reaches a subgraph: in-process or over HTTP, with one contract."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx
import orjson

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
        taken for a fault of the router's own, logged and masked.
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
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        sent = {"content-type": "application/json", "accept": "application/json", **headers}
        content = to_json(request)
        # httpx's own messages name hosts and ports: the client gets ours instead.
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
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise TransportError(
                f"HTTP {response.status_code} with a body that is not JSON"
            ) from exc
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            raise TransportError(f"HTTP {response.status_code} without a GraphQL response")
        return body

    async def aclose(self) -> None:
        await self._client.aclose()
