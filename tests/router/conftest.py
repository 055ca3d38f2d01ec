from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import strawberry
import uvicorn
from strawberry.asgi import GraphQL

HERE = Path(__file__).parent
ORACLE = HERE / "oracle"
# The test subgraphs live beside this file; without a package, put it on the path.
sys.path.insert(0, str(HERE))

import router_testgraphs as tg  # noqa: E402

from router.gateway import Router  # noqa: E402
from router.supergraph import Supergraph, load_supergraph  # noqa: E402
from router.transport import HttpTransport, InProcessTransport, Transport  # noqa: E402

SUBGRAPH_TIMEOUT = 1.0


def strawberry_executor(schema: strawberry.federation.Schema) -> Any:
    """Run a Strawberry schema the way its HTTP view would, minus the wire."""

    async def execute(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        result = await schema.execute(
            request["query"],
            variable_values=request.get("variables"),
            operation_name=request.get("operationName"),
            context_value={"headers": dict(headers)},
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body

    return execute


def subgraph_sdl(schema: strawberry.federation.Schema) -> str:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.data is not None
    return str(result.data["_service"]["sdl"])


class SubgraphServer:
    def __init__(self, name: str, schema: strawberry.federation.Schema) -> None:
        self.name = name
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        config = uvicorn.Config(
            GraphQL(schema), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        for _ in range(500):  # uvicorn offers no startup event to await
            if self.server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError(f"subgraph {self.name} did not start")

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


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


def npm_ready() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the oracle tests")
    if not (ORACLE / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=ORACLE, check=True, timeout=600
        )
    return ORACLE


def guild_compose(services: list[dict[str, str]]) -> dict[str, Any]:
    npm_ready()
    done = subprocess.run(
        ["node", "compose.mjs"],
        cwd=ORACLE,
        input=json.dumps(services),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(done.stdout))


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


def in_process_transports() -> dict[str, Transport]:
    return {
        name: InProcessTransport(strawberry_executor(schema)) for name, schema in tg.SCHEMAS.items()
    }


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


@pytest.fixture(autouse=True)
def _fresh_mutation_log() -> None:
    tg.MUTATION_LOG.clear()
