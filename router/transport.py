"""How the router reaches a subgraph: in-process or over HTTP, with one contract."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx
import orjson

Execute = Callable[[dict[str, Any], Mapping[str, str]], Awaitable[dict[str, Any]]]


class TransportError(Exception):
    """The subgraph did not give a GraphQL response."""


class Transport(Protocol):
    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        """Send a GraphQL-over-HTTP JSON body; return the GraphQL response dict."""
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
        response = await self._client.post(self.url, content=orjson.dumps(request), headers=sent)
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
