from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# The test subgraphs and harness live beside this file; without a package, put it on the path.
sys.path.insert(0, str(Path(__file__).parent))

import router_testgraphs as tg
from router_harness import (
    SHAPINGS,
    SUBGRAPH_TIMEOUT,
    SubgraphServer,
    in_process_transports,
    shaping,
    subgraph_sdl,
)

from router.gateway import Router
from router.supergraph import Supergraph, load_supergraph
from router.transport import HttpTransport


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[dict[str, SubgraphServer]]:
    started = {name: SubgraphServer(name, schema) for name, schema in tg.SCHEMAS.items()}
    for server in started.values():
        await server.start()
    yield started
    for server in started.values():
        await server.stop()


@pytest.fixture(scope="session")
def sdls() -> dict[str, str]:
    return {name: subgraph_sdl(schema) for name, schema in tg.SCHEMAS.items()}


@pytest.fixture(scope="session")
def services(servers: dict[str, SubgraphServer], sdls: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "url": servers[n].url, "sdl": sdls[n]} for n in tg.SCHEMAS]


@pytest.fixture(scope="session")
def supergraph_sdl(services: list[dict[str, str]]) -> str:
    from router.compose import compose

    return compose(services).supergraph_sdl


@pytest.fixture(scope="session")
def supergraph(supergraph_sdl: str) -> Supergraph:
    return load_supergraph(supergraph_sdl)


@pytest.fixture(scope="session")
async def http_transports(
    servers: dict[str, SubgraphServer],
) -> AsyncIterator[dict[str, HttpTransport]]:
    made = {name: HttpTransport(s.url, timeout=10) for name, s in servers.items()}
    yield made
    for t in made.values():
        await t.aclose()


@pytest.fixture(scope="session")
def routers(supergraph: Supergraph, http_transports: dict[str, HttpTransport]) -> dict[str, Router]:
    return {
        "in-process": Router(supergraph, in_process_transports(), timeout=SUBGRAPH_TIMEOUT),
        "http": Router(supergraph, dict(http_transports), timeout=SUBGRAPH_TIMEOUT),
    }


@pytest.fixture(params=["in-process", "http"])
def router(request: pytest.FixtureRequest, routers: dict[str, Router]) -> Router:
    return routers[request.param]


@pytest.fixture(params=SHAPINGS)
def shaping_mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """A test that asks for it runs with plans walked and with plans written out."""
    with shaping(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _fresh_mutation_log() -> None:
    tg.MUTATION_LOG.clear()


@pytest.fixture(scope="session")
async def fed_envs() -> AsyncIterator[dict[str, Any]]:
    """The federation suites served (`fed_harness.serve_suites`), by suite name."""
    from fed_harness import serve_suites
    from fed_suites import SUITES

    async with serve_suites(SUITES) as envs:
        yield envs


@pytest.fixture(scope="session")
async def hive_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client
