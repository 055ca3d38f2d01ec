"""Deadlines and cancellation: a request past its deadline answers TIMEOUT and its
subgraph calls are cancelled; so are those of a client that leaves; a response over
the size limit is refused; SIGTERM is honoured within seconds."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import shop_testgraphs as shop
from router_harness import AppServer, SubgraphServer

from router.app import create_router_app
from router.gateway import Router
from router.limits import OperationLimits
from router.settings import RouterSettings
from router.supergraph import Supergraph, load_supergraph
from router.transport import Transport

DEV = RouterSettings.for_mode(False)
QUERY = "{ customers(first: 2) { totalCount } }"


class Slow:
    """Answers after `seconds` (by asking `wrapped`); counts calls and cancellations."""

    def __init__(self, wrapped: Transport, seconds: float) -> None:
        self.wrapped, self.seconds = wrapped, seconds
        self.started = self.cancelled = 0

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        self.started += 1
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await self.wrapped.fetch(request, headers)


@pytest.fixture(scope="module")
def shop_sdl() -> str:
    return shop.supergraph()


@pytest.fixture(scope="module")
def shop_graph(shop_sdl: str) -> Supergraph:
    return load_supergraph(shop_sdl)


def slow_crm(seconds: float) -> tuple[dict[str, Transport], Slow]:
    transports = shop.counting_transports([])
    slow = Slow(transports["crm"], seconds)
    transports["crm"] = slow
    return transports, slow


async def until(condition: Any, seconds: float = 2.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


async def test_past_its_deadline_a_request_answers_timeout_and_its_fetch_is_cancelled(
    shop_graph: Supergraph,
) -> None:
    transports, slow = slow_crm(30)
    limits = dataclasses.replace(OperationLimits(), deadline_seconds=0.2)
    router = Router(shop_graph, transports, limits=limits, timeout=60)
    started = time.perf_counter()
    result = await router.execute(QUERY)
    assert time.perf_counter() - started < 1
    assert result.body == {
        "errors": [
            {
                "message": "The request did not complete within its deadline of 0.2 s"
                " and was cancelled.",
                "extensions": {"code": "TIMEOUT", "limit": "deadlineSeconds", "max": 0.2},
            }
        ],
        "data": None,
    }
    await until(lambda: slow.cancelled)
    assert (slow.started, slow.cancelled) == (1, 1)
    assert router.executor._in_flight == {}


async def test_a_shared_fetch_is_cancelled_only_when_no_request_waits_for_it(
    shop_graph: Supergraph,
) -> None:
    transports, slow = slow_crm(0.3)
    router = Router(shop_graph, transports)
    first = asyncio.ensure_future(router.execute(QUERY))
    second = asyncio.ensure_future(router.execute(QUERY))
    await until(lambda: slow.started)
    await asyncio.sleep(0.02)
    first.cancel()
    answer = await second
    assert answer.body == {"data": {"customers": {"totalCount": 200}}}
    assert (slow.started, slow.cancelled) == (1, 0)
    both = [asyncio.ensure_future(router.execute(QUERY)) for _ in range(2)]
    await until(lambda: slow.started == 2)
    for task in both:
        task.cancel()
    await until(lambda: slow.cancelled)
    assert (slow.started, slow.cancelled) == (2, 1)


async def test_through_the_app_a_timeout_is_counted(shop_sdl: str) -> None:
    transports, _ = slow_crm(30)
    limits = dataclasses.replace(OperationLimits(), deadline_seconds=0.1)
    app = create_router_app(shop_sdl, transports, settings=DEV, limits=limits)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as c:
        answer = await c.post("/graphql", json={"query": QUERY})
        assert answer.status_code == 200
        assert answer.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        text = (await c.get("/metrics")).text
    assert 'nexo_router_limit_refusals_total{limit="deadlineSeconds"} 1.0' in text


async def test_a_client_that_leaves_cancels_its_work(shop_sdl: str) -> None:
    transports, slow = slow_crm(30)
    app = create_router_app(shop_sdl, transports, settings=DEV)
    async with AppServer(app) as server:
        async with httpx.AsyncClient(timeout=0.3) as c:
            with pytest.raises(httpx.ReadTimeout):
                await c.post(server.url, json={"query": QUERY})
        # The client closed its connection: the router notices and cancels the fetch.
        await until(lambda: slow.cancelled)
        assert (slow.started, slow.cancelled) == (1, 1)
        async with httpx.AsyncClient() as c:
            text = (await c.get(server.url.replace("/graphql", "/metrics"))).text
    assert "nexo_router_client_disconnects_total 1.0" in text


async def test_a_response_over_the_size_limit_is_refused(shop_sdl: str) -> None:
    limits = dataclasses.replace(OperationLimits(), response_bytes=2000)
    app = create_router_app(shop_sdl, shop.counting_transports([]), settings=DEV, limits=limits)
    query = "{ customers(first: 100) { edges { node { name } } } }"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as c:
        answer = await c.post("/graphql", json={"query": query})
        small = await c.post("/graphql", json={"query": QUERY})
        text = (await c.get("/metrics")).text
    assert len(answer.content) < 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert error["extensions"]["max"] == 2000
    assert error["extensions"]["value"] > 2000
    assert answer.json()["data"] is None
    assert small.json() == {"data": {"customers": {"totalCount": 200}}}
    assert 'nexo_router_limit_refusals_total{limit="responseBytes"} 1.0' in text


def bomb_on_user(levels: int) -> str:
    frags = ["fragment F0 on User { id }"]
    for i in range(1, levels + 1):
        frags.append(f"fragment F{i} on User {{ ...F{i - 1} a{i}: name ...F{i - 1} }}")
    return f"{{ me {{ ...F{levels} }} }}\n" + "\n".join(frags)


@pytest.mark.slow
async def test_sigterm_is_honoured_within_seconds(
    supergraph_sdl: str, servers: dict[str, SubgraphServer], tmp_path: Path
) -> None:
    # inventory accepts connections and never answers (until the router goes).
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1 << 16):
            pass
        writer.close()

    hanging = await asyncio.start_server(hang, "127.0.0.1", 0)
    port_of_hang = hanging.sockets[0].getsockname()[1]
    sdl = supergraph_sdl.replace(
        servers["inventory"].url, f"http://127.0.0.1:{port_of_hang}/graphql"
    )
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"from router.app import serve_supergraph; serve_supergraph({str(path)!r}, port={port})"
    # Without the limits, the fragment bomb reaches the planner, which plans each
    # fragment once.
    env = {"PATH": "/usr/bin:/bin"}
    env |= dict.fromkeys(
        ("NEXO_LIMIT_ALIASES", "NEXO_LIMIT_DUPLICATE_FIELDS", "NEXO_LIMIT_COST"), "off"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stderr=asyncio.subprocess.DEVNULL, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            for _ in range(200):
                try:
                    await c.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            started = time.perf_counter()
            bomb = await c.post("/graphql", json={"query": bomb_on_user(30)})
            assert time.perf_counter() - started < 3
            assert bomb.json()["data"]["me"]["a30"] == "Ada"
            stuck = asyncio.ensure_future(
                c.post("/graphql", json={"query": '{ product(id: "1") { name stock } }'})
            )
            await asyncio.sleep(0.5)
            assert (await c.get("/health")).json() == {"status": "ok"}
            proc.send_signal(signal.SIGTERM)
            sent = time.perf_counter()
            await asyncio.wait_for(proc.wait(), 15)
            assert time.perf_counter() - sent < 8
            # Past its grace period the request in flight was cancelled.
            with contextlib.suppress(httpx.TransportError):
                assert (await stuck).status_code == 500
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        hanging.close()
