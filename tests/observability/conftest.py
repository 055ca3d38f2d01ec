"""A router over NEXO's own graph, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from nexo.graph import Graph, build_graph, in_process_transports
from router.app import create_router_app
from shared.context import Runtime


@pytest.fixture(scope="package")
def graph() -> Graph:
    return build_graph()


@pytest.fixture(scope="module")  # each module its own app: the operation-name budget is per app
async def router(graph: Graph, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        yield client
