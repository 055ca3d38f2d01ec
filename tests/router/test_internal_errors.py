"""Internal exception text never reaches a client; a subgraph's failure still says what
failed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from router_harness import in_process_transports
from structlog.testing import capture_logs

from router.app import create_router_app
from router.gateway import Router
from router.supergraph import Supergraph
from router.transport import HttpTransport, InProcessTransport, Transport

SECRET = "password=hunter2 host=db.internal:5432"


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")


def with_reviews(transport: Transport) -> dict[str, Transport]:
    transports = dict(in_process_transports())
    transports["reviews"] = transport
    return transports


async def test_an_unexpected_transport_exception_is_masked_and_logged(
    supergraph_sdl: str,
) -> None:
    leaked = RuntimeError(SECRET)

    async def broken(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        raise leaked

    app = create_router_app(supergraph_sdl, with_reviews(InProcessTransport(broken)))
    query = '{ product(id: "1") { name reviews { stars } } me { name } }'
    with capture_logs() as logs:
        async with client(app) as c:
            response = await c.post(
                "/graphql", json={"query": query}, headers={"X-Request-Id": "r-7"}
            )
    assert "hunter2" not in response.text
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error",
                "path": ["product", "reviews"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "r-7"},
            }
        ],
        "data": {"product": None, "me": {"name": "Ada"}},
    }
    [logged] = [e for e in logs if e["log_level"] == "error" and "exc_info" in e]
    assert logged["exc_info"] is leaked
    assert (logged["request_id"], logged["subgraph"]) == ("r-7", "reviews")


async def test_a_fault_in_the_router_itself_is_a_masked_graphql_error(
    supergraph_sdl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_router_app(supergraph_sdl, in_process_transports())
    router: Router = app.state.router

    def broken(*_: object, **__: object) -> None:
        raise KeyError(SECRET)

    monkeypatch.setattr(router.plans, "get", broken)
    with capture_logs() as logs:
        async with client(app) as c:
            response = await c.post("/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
        "data": None,
    }
    [logged] = [e for e in logs if e["log_level"] == "error" and "exc_info" in e]
    assert isinstance(logged["exc_info"], KeyError)
    assert logged["request_id"] == request_id


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError(SECRET), "unreachable"),
        (httpx.ReadTimeout(SECRET), "timed out"),
        (httpx.RemoteProtocolError(SECRET), "connection lost before a response"),
    ],
)
async def test_an_unreachable_subgraph_is_named_without_library_text(
    supergraph: Supergraph, error: Exception, reason: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    http = HttpTransport("http://reviews/graphql", transport=httpx.MockTransport(fail))
    result = await Router(supergraph, with_reviews(http)).execute(
        '{ product(id: "1") { reviews { stars } } }'
    )
    [failure] = result.body["errors"]
    assert failure == {
        "message": f"subgraph reviews failed: {reason}",
        "path": ["product", "reviews"],
        "extensions": {"serviceName": "reviews", "code": "SUBGRAPH_FETCH_FAILED"},
    }
    await http.aclose()


async def test_a_slow_subgraph_times_out_with_a_clear_message(supergraph: Supergraph) -> None:
    async def slow(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"data": None}

    router = Router(supergraph, with_reviews(InProcessTransport(slow)), timeout=0.05)
    result = await router.execute('{ product(id: "1") { reviews { stars } } }')
    assert result.body["errors"][0]["message"] == "subgraph reviews failed: timed out"


async def test_errors_a_subgraph_returns_keep_their_message(supergraph: Supergraph) -> None:
    async def refuses(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": "not allowed", "path": ["topReviews"]}]}

    router = Router(supergraph, with_reviews(InProcessTransport(refuses)))
    result = await router.execute("{ topReviews { body } }")
    assert result.body["errors"] == [
        {"message": "not allowed", "path": ["topReviews"], "extensions": {"serviceName": "reviews"}}
    ]
