"""Serve the federation suites: their subgraphs over HTTP, the guild composer's
supergraphs, Hive Gateway as the oracle, and our router over both transports.

Everything runs from one event loop and two node processes, whatever the number of
suites: one uvicorn server mounts every subgraph at `/<suite>/<subgraph>/graphql`,
one `compose_many.mjs` composes every suite, one `gateway_multi.mjs` serves every
supergraph at `/<suite>/graphql`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fed_suites import Suite
from graphql import FieldNode
from router_harness import ORACLE, npm_ready
from sdl_subgraph import SubgraphApp

from router.compose import CompositionError, compose
from router.gateway import Router
from router.limits import OperationLimits
from router.supergraph import Supergraph, load_supergraph
from router.transport import HttpTransport, InProcessTransport, Transport

Json = Any
UNLIMITED = dataclasses.replace(OperationLimits.unlimited(), deadline_seconds=60.0)
"""The scenarios test planning and execution, not the operation limits."""


@dataclass(repr=False)
class SuiteEnv:
    suite: Suite
    services: list[dict[str, str]]
    supergraph_sdl: str
    supergraph: Supergraph
    routers: dict[str, Router]
    hive_url: str
    ours_sdl: str | None = None
    ours_error: str | None = None
    hive_answers: dict[str, Json] = field(default_factory=dict)

    def key_fields(self) -> frozenset[tuple[str, str]]:
        """(type, field) of every key and required field: Hive Gateway drops one it
        needs when the client selects that field under `@include(if: false)`."""
        from router.selection import parse_field_set

        found = set()
        for type_name, joins in self.supergraph.join_types.items():
            for join in joins:
                for sel in parse_field_set(join.key) if join.key else ():
                    if isinstance(sel, FieldNode):
                        found.add((type_name, sel.name.value))
        for (type_name, _), fields in self.supergraph.join_fields.items():
            for f in fields:
                for sel in parse_field_set(f.requires) if f.requires else ():
                    if isinstance(sel, FieldNode):
                        found.add((type_name, sel.name.value))
        return frozenset(found)

    def __repr__(self) -> str:
        return f"SuiteEnv({self.suite.name})"

    async def hive(self, client: httpx.AsyncClient, query: str, variables: Json = None) -> Json:
        key = json.dumps([query, variables], sort_keys=True)
        if key not in self.hive_answers:
            response = await client.post(
                self.hive_url, json={"query": query, "variables": variables or {}}
            )
            self.hive_answers[key] = response.json()
        return self.hive_answers[key]


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def guild_compose_many(suites: dict[str, list[dict[str, str]]]) -> dict[str, Json]:
    npm_ready()
    done = subprocess.run(
        ["node", "compose_many.mjs"],
        cwd=ORACLE,
        input=json.dumps(suites),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return dict(json.loads(done.stdout))


@asynccontextmanager
async def serve_suites(
    suites: list[Suite], *, oracle: bool = True, subgraph_timeout: float = 10.0
) -> AsyncIterator[dict[str, SuiteEnv]]:
    app = SubgraphApp()
    sock = free_socket()
    port = sock.getsockname()[1]
    services: dict[str, list[dict[str, str]]] = {}
    for suite in suites:
        services[suite.name] = []
        for sub in suite.subgraphs:
            path = app.mount(f"{suite.name}/{sub.name}", sub)
            url = f"http://127.0.0.1:{port}{path}"
            services[suite.name].append({"name": sub.name, "url": url, "sdl": sub.sdl})
    composed = await asyncio.to_thread(guild_compose_many, services)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    transports: list[HttpTransport] = []
    proc: asyncio.subprocess.Process | None = None
    drain: asyncio.Task[bytes] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for _ in range(500):
                if server.started:
                    break
                await asyncio.sleep(0.01)
            files = {}
            for suite in suites:
                result = composed[suite.name]
                if suite.composer == "ours":
                    result["supergraphSdl"] = compose(
                        services[suite.name], check_satisfiability=False
                    ).supergraph_sdl
                if not result["supergraphSdl"]:
                    raise RuntimeError(f"guild composer refused {suite.name}: {result['errors']}")
                path = Path(tmp) / f"{suite.name}.graphql"
                path.write_text(result["supergraphSdl"])
                files[suite.name] = str(path)
            hive_port = 0
            if oracle:
                manifest = Path(tmp) / "supergraphs.json"
                manifest.write_text(json.dumps(files))
                with free_socket() as s:
                    hive_port = s.getsockname()[1]
                proc = await asyncio.create_subprocess_exec(
                    "node",
                    "gateway_multi.mjs",
                    str(manifest),
                    str(hive_port),
                    cwd=ORACLE,
                    stdout=asyncio.subprocess.PIPE,
                )
                assert proc.stdout is not None
                line = await asyncio.wait_for(proc.stdout.readline(), 120)
                assert line.startswith(b"listening"), line
                drain = asyncio.create_task(proc.stdout.read())
            envs: dict[str, SuiteEnv] = {}
            for suite in suites:
                sdl = composed[suite.name]["supergraphSdl"]
                sg = load_supergraph(sdl, context=True)
                in_process: dict[str, Transport] = {
                    s.name: InProcessTransport(s.execute) for s in suite.subgraphs
                }
                http: dict[str, Transport] = {}
                for svc in services[suite.name]:
                    t = HttpTransport(svc["url"], timeout=subgraph_timeout)
                    transports.append(t)
                    http[svc["name"]] = t
                env = SuiteEnv(
                    suite,
                    services[suite.name],
                    sdl,
                    sg,
                    {
                        "in-process": Router(
                            sg, in_process, timeout=subgraph_timeout, limits=UNLIMITED
                        ),
                        "http": Router(sg, http, timeout=subgraph_timeout, limits=UNLIMITED),
                    },
                    f"http://127.0.0.1:{hive_port}/{suite.name}/graphql",
                )
                try:
                    if not suite.ours:
                        raise CompositionError([])
                    env.ours_sdl = compose(services[suite.name]).supergraph_sdl
                    env.routers["ours-composed"] = Router(
                        load_supergraph(env.ours_sdl),
                        in_process,
                        timeout=subgraph_timeout,
                        limits=UNLIMITED,
                    )
                except CompositionError as exc:
                    env.ours_error = str(exc)
                envs[suite.name] = env
            yield envs
        finally:
            for t in transports:
                await t.aclose()
            if proc is not None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 3)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            if drain is not None:
                await drain
            server.should_exit = True
            await task
            sock.close()
