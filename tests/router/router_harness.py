"""Test subgraph servers, executors and oracle calls shared by the router tests
and bench/router.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import router_testgraphs as tg
import strawberry
import uvicorn
from strawberry.asgi import GraphQL

from router import shaping as router_shaping
from router.transport import InProcessTransport, Transport

HERE = Path(__file__).parent
ORACLE = HERE / "oracle"

SUBGRAPH_TIMEOUT = 1.0


SHAPINGS = ("walked", "written out")
"""The shaper's two ways through a kept plan (`router.shaping_code`)."""


@contextlib.contextmanager
def shaping(mode: str) -> Iterator[None]:
    """Plans walked field by field, never written out; or written out as code from
    their first use (the router writes a plan out after several uses)."""
    with mock.patch.object(router_shaping, "_COMPILE_AFTER", 1 if mode == "written out" else 10**9):
        yield


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


class AppServer:
    """Any ASGI app served by uvicorn on a free loopback port, in this event loop."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AppServer:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        for _ in range(500):  # uvicorn offers no startup event to await
            if self.server.started:
                return self
            await asyncio.sleep(0.01)
        raise RuntimeError("the app did not start")

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


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


def in_process_transports() -> dict[str, Transport]:
    return {
        name: InProcessTransport(strawberry_executor(schema)) for name, schema in tg.SCHEMAS.items()
    }
