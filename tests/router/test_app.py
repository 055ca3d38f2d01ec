"""The HTTP app, header forwarding, and a stopped subgraph."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import router_testgraphs as tg
from router_harness import SubgraphServer, in_process_transports

from router.app import create_router_app, http_transports
from router.supergraph import load_supergraph
from router.transport import HttpTransport, Transport


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")


async def test_post_get_and_graphiql(supergraph_sdl: str) -> None:
    app = create_router_app(supergraph_sdl, in_process_transports())
    async with client(app) as c:
        posted = await c.post("/graphql", json={"query": '{ product(id: "1") { name stock } }'})
        assert posted.status_code == 200
        assert posted.json() == {"data": {"product": {"name": "Table", "stock": 7}}}
        got = await c.get("/graphql", params={"query": "{ me { name } }"})
        assert got.json() == {"data": {"me": {"name": "Ada"}}}
        mutation = await c.get(
            "/graphql", params={"query": 'mutation { addUser(name: "x") { id } }'}
        )
        assert mutation.status_code == 405
        assert "not allowed" in mutation.json()["errors"][0]["message"]
        assert tg.MUTATION_LOG == []
        page = await c.get("/graphql", headers={"accept": "text/html"})
        assert '"isHeadersEditorEnabled": true' in page.text


async def test_graphql_response_media_type_status(supergraph_sdl: str) -> None:
    app = create_router_app(supergraph_sdl, in_process_transports())
    async with client(app) as c:
        bad = await c.post(
            "/graphql",
            json={"query": "{ nope }"},
            headers={"accept": "application/graphql-response+json"},
        )
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/graphql-response+json")
        legacy = await c.post("/graphql", json={"query": "{ nope }"})
        assert legacy.status_code == 200
        assert legacy.json()["errors"][0]["message"] == "Cannot query field 'nope' on type 'Query'."


async def test_query_plan_only_in_dev(supergraph_sdl: str) -> None:
    query = {"query": "{ topReviews(first: 1) { author { name } } }"}
    headers = {"nexo-query-plan": "true"}
    async with client(create_router_app(supergraph_sdl, in_process_transports(), dev=True)) as c:
        body = (await c.post("/graphql", json=query, headers=headers)).json()
    plan = body["extensions"]["queryPlan"]
    assert plan["kind"] == "Sequence"
    assert [n.get("serviceName") or n["node"]["serviceName"] for n in plan["nodes"]] == [
        "reviews",
        "accounts",
    ]
    async with client(create_router_app(supergraph_sdl, in_process_transports())) as c:
        body = (await c.post("/graphql", json=query, headers=headers)).json()
    assert "extensions" not in body


async def test_only_credentials_request_id_and_idempotency_key_are_forwarded(
    supergraph_sdl: str,
) -> None:
    seen: list[dict[str, str]] = []
    inner = in_process_transports()

    class Spy:
        def __init__(self, wrapped: Transport) -> None:
            self.wrapped = wrapped

        async def fetch(
            self, request: dict[str, Any], headers: Mapping[str, str]
        ) -> dict[str, Any]:
            seen.append(dict(headers))
            return await self.wrapped.fetch(request, headers)

    app = create_router_app(supergraph_sdl, {n: Spy(t) for n, t in inner.items()})
    async with client(app) as c:
        await c.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={
                "Authorization": "Bearer t",
                "X-Request-Id": "r1",
                "Idempotency-Key": "k1",
                "Cookie": "s=1",
            },
        )
    assert seen == [{"authorization": "Bearer t", "x-request-id": "r1", "idempotency-key": "k1"}]
    async with client(app) as c:
        response = await c.post("/graphql", json={"query": "{ me { name } }"})
    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert seen[1] == {"x-request-id": generated}


async def test_health_ready_metrics(supergraph_sdl: str) -> None:
    app = create_router_app(supergraph_sdl, in_process_transports())
    async with client(app) as c:
        assert (await c.get("/health")).json() == {"status": "ok"}
        ready = await c.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True
        for _ in range(2):
            await c.post("/graphql", json={"query": "query Me { me { name } }"})
        text = (await c.get("/metrics")).text
    assert 'nexo_router_requests_total{operation="Me",outcome="ok"} 2.0' in text
    assert 'nexo_router_plan_cache_total{result="hit"} 1.0' in text
    assert 'nexo_router_plan_cache_total{result="miss"} 1.0' in text
    assert 'nexo_router_subgraph_fetch_seconds_count{subgraph="accounts"} 2.0' in text


async def test_a_stopped_subgraph_gives_partial_data(
    supergraph_sdl: str, servers: dict[str, SubgraphServer]
) -> None:
    doomed = SubgraphServer("inventory", tg.inventory_schema)
    await doomed.start()
    await doomed.stop()
    transports: dict[str, Transport] = {n: HttpTransport(s.url) for n, s in servers.items()}
    transports["inventory"] = HttpTransport(doomed.url, timeout=2)
    app = create_router_app(supergraph_sdl, transports)
    async with client(app) as c:
        response = await c.post("/graphql", json={"query": '{ product(id: "2") { name stock } }'})
        ready = await c.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"product": None}
    assert [(e["path"], e["extensions"]["serviceName"]) for e in body["errors"]] == [
        (["product", "stock"], "inventory")
    ]
    assert ready.status_code == 503
    assert ready.json()["subgraphs"]["inventory"] is False
    for t in transports.values():
        await t.aclose()  # type: ignore[attr-defined]


def test_http_transports_follow_join_graph_urls(supergraph_sdl: str) -> None:
    made = http_transports(load_supergraph(supergraph_sdl))
    assert sorted(made) == sorted(tg.SCHEMAS)
    assert all(
        isinstance(t, HttpTransport) and t.url.startswith("http://127.0.0.1:")
        for t in made.values()
    )


async def test_serve_supergraph_standalone(
    supergraph_sdl: str, tmp_path: Any, servers: dict[str, SubgraphServer]
) -> None:
    import asyncio
    import socket
    import sys

    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"from router.app import serve_supergraph; serve_supergraph({str(path)!r}, port={port})"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as c:
            for _ in range(600):  # a loaded machine takes seconds to import the router
                try:
                    health = await c.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            assert health.json() == {"status": "ok"}
            typename = await c.post("/graphql", json={"query": "{ __typename }"})
            assert typename.json() == {"data": {"__typename": "Query"}}
            # The standalone router reaches the subgraphs at their join__Graph URLs.
            me = await c.post("/graphql", json={"query": "{ me { name } }"})
            assert me.json() == {"data": {"me": {"name": "Ada"}}}
    finally:
        proc.terminate()
        await proc.wait()


async def test_concurrent_identical_requests_share_subgraph_fetches_over_http(
    supergraph_sdl: str,
) -> None:
    import asyncio

    calls: list[str] = []
    inner = in_process_transports()

    class Count:
        def __init__(self, name: str) -> None:
            self.name = name

        async def fetch(
            self, request: dict[str, Any], headers: Mapping[str, str]
        ) -> dict[str, Any]:
            calls.append(self.name)
            await asyncio.sleep(0.05)  # keep the first request in flight
            return await inner[self.name].fetch(request, headers)

    app = create_router_app(supergraph_sdl, {n: Count(n) for n in inner})
    async with client(app) as c:
        query = {"query": "{ me { name } }"}
        answers = await asyncio.gather(*(c.post("/graphql", json=query) for _ in range(3)))
    assert [a.json() for a in answers] == [{"data": {"me": {"name": "Ada"}}}] * 3
    assert len({a.headers["x-request-id"] for a in answers}) == 3
    assert calls == ["accounts"]


def test_settling_the_heap_raises_the_young_threshold_and_never_lowers_it() -> None:
    import gc

    from router.app import GC_THRESHOLDS, settle_heap

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        settle_heap()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        gc.set_threshold(50_000, 5, 5)
        settle_heap()
        assert gc.get_threshold() == (50_000, 5, 5)
    finally:
        # Not unfrozen: the next full collection would walk the whole test process's
        # heap at once, a pause long enough to time out another test's subgraph call.
        gc.set_threshold(*before)
