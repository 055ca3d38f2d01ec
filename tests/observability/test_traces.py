"""Traces: one trace per request across the router and its subgraphs, over real HTTP and
in-process, with SQL spans; the trace id in the request log lines; exported over
OTLP/HTTP to a real receiver when configured, and nothing recorded or sent when not."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import format_span_id, format_trace_id
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nexo.graph import Graph, in_process_transports
from router.app import create_router_app
from router.transport import HttpTransport, Transport
from shared import tracing
from shared.context import Runtime
from shared.logging import configure_logging
from subgraphs.registry import SUBGRAPHS
from tests.conftest import TenantHandle
from tests.observability.helpers import gql

QUERY = """
query Traced {
  me { name }
  customers(first: 5) { totalCount edges { node { name owner { name } } } }
}
"""


class Served:
    """An ASGI app on a free loopback port, served by uvicorn in this event loop: a call
    to it leaves this task, so only what travels in headers reaches the other side."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Served:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.sock.close()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.setup("router", exporter=exporter)
    yield exporter
    tracing.reset()


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("INFO")
    yield
    structlog.reset_defaults()


async def _customer(client: httpx.AsyncClient, token: str, name: str) -> None:
    created = await gql(
        client,
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { errors { code } } }",
        {"i": {"name": name}},
        token,
    )
    assert created["data"]["createCustomer"]["errors"] == [], created


def _by_name(found: list[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in found:
        named.setdefault(span.name, []).append(span)
    return named


def _parent_of(span: ReadableSpan, found: list[ReadableSpan]) -> ReadableSpan:
    assert span.parent is not None, span.name
    return next(s for s in found if s.context.span_id == span.parent.span_id)


def _ancestors(span: ReadableSpan, found: list[ReadableSpan]) -> list[str]:
    """The names of the span's ancestors among `found` (a remote caller's is not)."""
    by_id = {s.context.span_id: s for s in found}
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def _request_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for raw in text.splitlines():
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        if isinstance(parsed, dict) and parsed.get("event") == "request":
            lines.append(parsed)
    return lines


@pytest.mark.usefixtures("json_logs")
async def test_one_trace_spans_router_http_subgraphs_and_sql(
    spans: InMemorySpanExporter,
    graph: Graph,
    runtime: Runtime,
    tenant: TenantHandle,
    capsys: pytest.CaptureFixture[str],
) -> None:
    over_http = {"crm", "identity"}
    apps = {s.name: s.create_app(runtime) for s in SUBGRAPHS if s.name in over_http}
    served = {name: Served(app) for name, app in apps.items()}
    for server in served.values():
        await server.__aenter__()
    try:
        transports: dict[str, Transport] = dict(in_process_transports(graph, runtime))
        for name, server in served.items():
            transports[name] = HttpTransport(f"{server.url}/graphql")
        app = create_router_app(graph.composition.supergraph_sdl, transports)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router"
        ) as client:
            await _customer(client, tenant.token, "Traced Co")
            spans.clear()
            configure_logging("INFO")
            capsys.readouterr()
            answer = await gql(client, QUERY, token=tenant.token)
        for name in over_http:
            await transports[name].aclose()  # type: ignore[attr-defined]
    finally:
        for server in served.values():
            await server.__aexit__()
    assert "errors" not in answer, answer
    assert answer["data"]["customers"]["edges"][0]["node"]["owner"]["name"] == "Admin"

    found = list(spans.get_finished_spans())
    named = _by_name(found)
    (request,) = named["router POST /graphql"]
    assert request.parent is None  # the client sent no traceparent: the trace starts here
    trace_id = request.context.trace_id
    assert {s.context.trace_id for s in found} == {trace_id}  # one trace, both sides

    (plan,) = named["router plan"]
    assert _parent_of(plan, found) is request
    (crm_fetch,) = named["router fetch crm"]
    assert _parent_of(crm_fetch, found) is request
    assert crm_fetch.attributes is not None and crm_fetch.attributes["nexo.subgraph"] == "crm"
    # identity answers `me` (a root fetch) and each customer's owner (an entity fetch).
    identity_fetches = named["router fetch identity"]
    assert len(identity_fetches) == 2

    # Across the HTTP hop: the subgraph's server span is the router's fetch span's child.
    (crm_server,) = named["crm POST /graphql"]
    assert _parent_of(crm_server, found) is crm_fetch
    identity_servers = named["identity POST /graphql"]
    assert {_parent_of(s, found).context.span_id for s in identity_servers} == {
        s.context.span_id for s in identity_fetches
    }
    (crm_execute,) = named["crm execute"]
    assert _parent_of(crm_execute, found) is crm_server
    assert crm_execute.attributes is not None
    assert crm_execute.attributes["graphql.operation.type"] == "query"
    assert crm_execute.attributes["nexo.outcome"] == "ok"
    assert len(named["identity execute"]) == 2

    sql = [s for s in found if s.attributes and s.attributes.get("db.system") == "postgresql"]
    crm_sql = [s for s in sql if "crm execute" in _ancestors(s, found)]
    assert any("crm.customer" in str(s.attributes["db.statement"]) for s in crm_sql)  # type: ignore[index]
    assert any("identity execute" in _ancestors(s, found) for s in sql)
    for statement in sql:
        text = str(statement.attributes["db.statement"])  # type: ignore[index]
        assert statement.name == text.split(None, 1)[0].upper()
        assert str(tenant.id) not in text  # the text only: parameters stay out

    # The request log lines carry the trace's id, the router's and the subgraphs' alike.
    captured = capsys.readouterr()
    lines = _request_lines(captured.err + captured.out)
    services = {line["service"] for line in lines}
    assert {"router", "crm", "identity"} <= services
    assert {line["trace_id"] for line in lines} == {format_trace_id(trace_id)}
    assert request.attributes is not None
    assert request.attributes["graphql.operation.name"] == "Traced"
    assert request.attributes["http.response.status_code"] == 200


async def test_in_process_subgraphs_join_the_router_trace(
    spans: InMemorySpanExporter, graph: Graph, runtime: Runtime, tenant: TenantHandle
) -> None:
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { name } customers(first: 1) { totalCount } }"},
            headers={"authorization": f"Bearer {tenant.token}", "traceparent": parent},
        )
    assert "errors" not in response.json()
    found = list(spans.get_finished_spans())
    named = _by_name(found)
    (request,) = named["router POST /graphql"]
    # A caller's traceparent is continued: its trace, the router's span its child.
    assert format_trace_id(request.context.trace_id) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert request.parent is not None
    assert format_span_id(request.parent.span_id) == "00f067aa0ba902b7"
    assert {format_trace_id(s.context.trace_id) for s in found} == {
        "4bf92f3577b34da6a3ce929d0e0e4736"
    }
    (crm_execute,) = named["crm execute"]
    assert _parent_of(crm_execute, found).name == "router fetch crm"
    assert any(
        s.attributes and s.attributes.get("db.system") == "postgresql"
        for s in found
        if "crm execute" in _ancestors(s, found)
    )


# --- export over OTLP/HTTP ----------------------------------------------------------


class Receiver:
    """A stand-in OpenTelemetry collector: what was POSTed to /v1/traces, decoded."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        self.app = Starlette(routes=[Route("/v1/traces", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        self.requests.append(ExportTraceServiceRequest.FromString(await request.body()))
        return Response(b"", media_type="application/x-protobuf")

    def spans(self) -> list[tuple[str, str, Any]]:
        """(service.name, trace id, span) of every span received."""
        out = []
        for export in self.requests:
            for resource_spans in export.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                )
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        out.append((service, span.trace_id.hex(), span))
        return out


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    async with Served(found.app) as server:
        yield found, server.url
    tracing.reset()


async def _ask_router(graph: Graph, runtime: Runtime, token: str) -> Starlette:
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        answer = await gql(client, "{ me { name } }", token=token)
    assert answer == {"data": {"me": {"name": "Admin"}}}
    return app


async def test_spans_are_exported_over_otlp_http_when_configured(
    receiver: tuple[Receiver, str],
    graph: Graph,
    runtime: Runtime,
    tenant: TenantHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found, url = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    tracing.reset()
    await _ask_router(graph, runtime, tenant.token)
    assert tracing.enabled()
    # Shutting down flushes the batch; the exporter posts synchronously, so not on the
    # loop that serves the receiver.
    await asyncio.to_thread(tracing.reset)
    received = found.spans()
    names = {span.name for _, _, span in received}
    assert {"router POST /graphql", "router plan", "router fetch identity"} <= names
    assert "identity execute" in names
    assert {service for service, _, _ in received} == {"nexo-router"}
    assert len({trace for _, trace, _ in received}) == 1


async def test_nothing_is_recorded_or_sent_when_off(
    receiver: tuple[Receiver, str],
    graph: Graph,
    runtime: Runtime,
    tenant: TenantHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found, _ = receiver
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    tracing.reset()
    app = await _ask_router(graph, runtime, tenant.token)
    assert not tracing.enabled()
    assert tracing.span("x") is tracing.span("y")  # the one shared no-op context
    assert tracing.inject({"a": "b"}) == {"a": "b"}
    # No tracing layer was built into the app: the hot path is as it was.
    assert "TracingMiddleware" not in repr(app.user_middleware)
    assert all(
        type(t).__name__ != "TracedTransport" for t in app.state.router.executor.transports.values()
    )
    await asyncio.to_thread(tracing.reset)
    assert found.requests == []


async def test_the_sample_ratio_keeps_a_share_of_new_traces_and_follows_callers(
    graph: Graph, runtime: Runtime, tenant: TenantHandle
) -> None:
    exporter = InMemorySpanExporter()
    tracing.setup("router", exporter=exporter, environ={"NEXO_TRACE_SAMPLE_RATIO": "0"})
    try:
        app = create_router_app(
            graph.composition.supergraph_sdl, in_process_transports(graph, runtime)
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router"
        ) as client:
            await gql(client, "{ me { name } }", token=tenant.token)
            assert exporter.get_finished_spans() == ()  # a new trace, not sampled
            sampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            await client.post(
                "/graphql",
                json={"query": "{ me { name } }"},
                headers={"authorization": f"Bearer {tenant.token}", "traceparent": sampled},
            )
        # The caller sampled its trace: recorded whatever the ratio.
        found = exporter.get_finished_spans()
        assert found and {format_trace_id(s.context.trace_id) for s in found} == {
            "0af7651916cd43dd8448eb211c80319c"
        }
    finally:
        tracing.reset()
