"""The subgraph HTTP app over real HTTP: GraphQL, health, readiness, metrics, JWKS,
request ids and masking of internal errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import strawberry
import uvicorn
from strawberry.types import Info

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import build_schema
from shared.logging import configure_logging
from tests.conftest import TenantHandle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(app: object) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")  # type: ignore[arg-type]
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
async def identity_http(runtime: Runtime) -> AsyncIterator[str]:
    from subgraphs.identity.app import create_app

    server, task, url = await serve(create_app(runtime))
    yield url
    server.should_exit = True
    await task


async def test_graphql_over_http_with_bearer_token(
    identity_http: str, tenant: TenantHandle
) -> None:
    async with httpx.AsyncClient(base_url=identity_http) as client:
        r = await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"authorization": f"Bearer {tenant.token}"},
        )
        assert r.status_code == 200
        assert r.json() == {"data": {"me": {"id": str(tenant.admin_id)}}}
        assert len(r.headers["x-request-id"]) >= 8
        echoed = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "req-12345678"}
        )
        assert echoed.headers["x-request-id"] == "req-12345678"
        bad = await client.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"authorization": "Bearer nope"}
        )
        assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_health_ready_jwks_and_metrics(identity_http: str) -> None:
    async with httpx.AsyncClient(base_url=identity_http) as client:
        assert (await client.get("/health")).json()["status"] == "ok"
        assert (await client.get("/ready")).json()["status"] == "ready"
        keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert keys and all(k["kty"] == "OKP" and "d" not in k for k in keys)
        metrics = (await client.get("/metrics")).text
        assert (
            'nexo_http_requests_total{method="GET",route="/health",service="identity",status="200"}'
            in metrics
        )
        assert (
            'nexo_http_request_duration_seconds_count{method="GET",route="/health",'
            'service="identity",status="200"}' in metrics
        )
        assert "process_cpu_seconds_total" in metrics


async def test_ready_reports_an_unreachable_database(runtime: Runtime) -> None:
    from shared.db import Database
    from subgraphs.identity.app import create_app

    broken = Runtime(
        settings=runtime.settings,
        db=Database("postgresql+asyncpg://nobody@127.0.0.1:1/none"),
        verifier=runtime.verifier,
    )
    server, task, url = await serve(create_app(broken))
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/ready")).status_code == 503
    finally:
        server.should_exit = True
        await task
        await broken.db.dispose()


@strawberry.type
class Query:
    @strawberry.field
    def boom(self, info: Info) -> str:
        raise RuntimeError("secret database password in a stack trace")


async def test_internal_errors_are_masked_with_a_request_id(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    app = create_subgraph_app(name="boom", schema=build_schema(query=Query), runtime=runtime)
    server, task, url = await serve(app)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            r = await client.post("/graphql", json={"query": "{ boom }"})
    finally:
        server.should_exit = True
        await task
    error = r.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == r.headers["x-request-id"]
    assert "secret" not in r.text
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    internal = [x for x in lines if x["event"] == "graphql.internal_error"]
    assert len(internal) == 1
    assert internal[0]["request_id"] == r.headers["x-request-id"]
    assert "secret database password" in internal[0]["exception"]
