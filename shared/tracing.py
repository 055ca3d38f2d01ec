"""Traces: OpenTelemetry spans when configured, and the trace id of the request log lines
after W3C Trace Context (`traceparent`).

**Spans** (on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, exported over OTLP/HTTP; off by
default): the router's request (`TracingMiddleware`), its planning, each subgraph fetch
(`router.transport.TracedTransport`, which sends the span's `traceparent`), a subgraph's
HTTP request (`TracingMiddleware` again, continuing that `traceparent`), its execution
(`shared.graphql.observability`) and each SQL statement (an engine event hook; the text
only, never the parameters). One trace covers the router and every subgraph, in-process
and over HTTP alike.

**Log lines.** With tracing on, a request's line carries its span's trace id. Off, its
trace id is its caller's `traceparent` trace id when one is sent, else its request id (the
router makes request ids of 32 hex digits, a valid trace id): the router forwards the
request id to every subgraph, so the router's line and the subgraphs' lines of one
request carry the same trace id in-process and over HTTP alike.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logging import QUIET_PATHS, current_request

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


@dataclass(frozen=True, slots=True)
class TraceParent:
    trace_id: str
    span_id: str
    flags: str = "01"

    def header(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceParent:
        """The same trace, a new span (what a callee sees as its parent)."""
        return TraceParent(self.trace_id, new_span_id(), self.flags)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def parse(value: str | None) -> TraceParent | None:
    """A valid version-00 `traceparent`, or None (invalid ones are ignored, as the
    specification asks)."""
    if not value:
        return None
    found = _TRACEPARENT.match(value.strip().lower())
    if found is None:
        return None
    trace_id, span_id, flags = found.groups()
    if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    return TraceParent(trace_id, span_id, flags)


def from_headers(headers: Mapping[str, str]) -> TraceParent | None:
    return parse(headers.get(HEADER))


_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def trace_id(headers: Mapping[str, str], request_id: str | None) -> str:
    """The trace a request belongs to: its `traceparent`'s, else its request id when
    that is a trace id, else a new one."""
    given = from_headers(headers)
    if given is not None:
        return given.trace_id
    if request_id and _HEX32.match(request_id.lower()):
        return request_id.lower()
    return new_trace_id()


def continue_or_start(headers: Mapping[str, str]) -> TraceParent:
    """The caller's trace continued with a new span, or a new trace."""
    given = from_headers(headers)
    return given.child() if given else TraceParent(new_trace_id(), new_span_id())


# --- OpenTelemetry spans ----------------------------------------------------------------
#
# Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a test hands `setup` an exporter):
# then `_TRACER` is None, `span()` answers a shared null context, the apps add no
# middleware, the router wraps no transport and no SQL hook is registered, so the cost
# when off is one global read where a span would start.

_TRACER: otel_trace.Tracer | None = None
_PROVIDER: Any = None  # the SDK's TracerProvider, imported only when tracing is on
_CONFIGURED = False
_PROPAGATOR = TraceContextTextMapPropagator()
_NOOP: AbstractContextManager[None] = nullcontext()
_SQL_SPANS = "nexo.sql_spans"
_STATEMENT_CHARS = 2000
"""A statement's text is kept up to this many characters (a bulk insert can be huge)."""


def enabled() -> bool:
    return _TRACER is not None


def setup(
    service: str,
    *,
    exporter: Any = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Turn tracing on for this process, once: with `exporter` (tests: spans handed over
    as each ends; it replaces any earlier set-up), else over OTLP/HTTP when
    `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The first call decides (later ones, as each app
    is built, change nothing); `reset()` undoes it. Returns whether tracing is on."""
    global _TRACER, _PROVIDER, _CONFIGURED
    if _CONFIGURED and exporter is None:
        return _TRACER is not None
    reset()
    env = os.environ if environ is None else environ
    endpoint = (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    _CONFIGURED = True
    if exporter is None and not endpoint:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    ratio = _ratio(env.get("NEXO_TRACE_SAMPLE_RATIO"))
    name = (env.get("OTEL_SERVICE_NAME") or "").strip() or f"nexo-{service}"
    provider = TracerProvider(
        resource=Resource.create({"service.name": name}),
        sampler=ParentBased(TraceIdRatioBased(ratio)),
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        url = endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    _PROVIDER = provider
    _TRACER = provider.get_tracer("nexo")
    event.listen(Engine, "before_cursor_execute", _sql_started)
    event.listen(Engine, "after_cursor_execute", _sql_ended)
    event.listen(Engine, "handle_error", _sql_failed)
    return True


def _ratio(value: str | None) -> float:
    try:
        ratio = float(value) if value and value.strip() else 1.0
    except ValueError:
        ratio = 1.0
    return min(max(ratio, 0.0), 1.0)


def reset() -> None:
    """Flush and stop the exporter, switch tracing off (the next `setup` decides anew)."""
    global _TRACER, _PROVIDER, _CONFIGURED
    provider, _PROVIDER, _TRACER, _CONFIGURED = _PROVIDER, None, None, False
    for name, fn in (
        ("before_cursor_execute", _sql_started),
        ("after_cursor_execute", _sql_ended),
        ("handle_error", _sql_failed),
    ):
        if event.contains(Engine, name, fn):
            event.remove(Engine, name, fn)
    if provider is not None:
        provider.shutdown()


def span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    """A span around the block, the current one's child (nothing when tracing is off)."""
    tracer = _TRACER
    if tracer is None:
        return _NOOP
    return tracer.start_as_current_span(name, attributes=attributes or None)


def client_span(name: str, **attributes: Any) -> AbstractContextManager[Any]:
    tracer = _TRACER
    if tracer is None:
        return _NOOP
    return tracer.start_as_current_span(
        name, kind=otel_trace.SpanKind.CLIENT, attributes=attributes or None
    )


def inject(headers: Mapping[str, str]) -> Mapping[str, str]:
    """`headers` plus the current span's `traceparent` (unchanged when tracing is off)."""
    if _TRACER is None:
        return headers
    carrier = dict(headers)
    _PROPAGATOR.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    context = otel_trace.get_current_span().get_span_context()
    return otel_trace.format_trace_id(context.trace_id) if context.is_valid else None


class TracingMiddleware:
    """A server span per HTTP request, continuing the caller's `traceparent`; its trace
    id becomes the request log line's. Inside `MetricsMiddleware`, whose line (route,
    operation, outcome) names and describes the span."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = _TRACER
        if tracer is None or scope["type"] != "http" or scope.get("path") in QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        carrier = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
            if k.lower() in (b"traceparent", b"tracestate")
        }
        line = current_request()
        route = line.route if line is not None and line.route else "http"
        method = scope.get("method", "")
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with tracer.start_as_current_span(
            f"{self.service} {method} {route}",
            context=_PROPAGATOR.extract(carrier),
            kind=otel_trace.SpanKind.SERVER,
            attributes={
                "nexo.service": self.service,
                "http.request.method": method,
                "http.route": route,
            },
        ) as current:
            if line is not None:
                line.trace_id = current_trace_id() or line.trace_id
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                current.set_attribute("http.response.status_code", status)
                if line is not None:
                    for key, value in (
                        ("graphql.operation.name", line.operation),
                        ("graphql.operation.type", line.operation_type),
                        ("nexo.outcome", line.outcome),
                        ("nexo.request_id", line.request_id),
                    ):
                        if value is not None:
                            current.set_attribute(key, value)
                if status >= 500:
                    current.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR))


# --- a span per SQL statement, inside a traced request only ----------------------------


def _sql_started(conn: Connection, _: Any, statement: str, *__: Any) -> None:
    tracer = _TRACER
    if tracer is None or not otel_trace.get_current_span().is_recording():
        return  # no request being traced (the worker's polling, start-up): no root spans
    started = tracer.start_span(_verb(statement), **_sql_span_options(statement))
    conn.info.setdefault(_SQL_SPANS, []).append(started)


def _sql_ended(conn: Connection, *_: Any) -> None:
    spans = conn.info.get(_SQL_SPANS)
    if spans:
        spans.pop().end()


def _sql_failed(context: ExceptionContext) -> None:
    conn = context.connection
    spans = conn.info.get(_SQL_SPANS) if conn is not None else None
    if spans:
        failed = spans.pop()
        failed.set_status(otel_trace.Status(otel_trace.StatusCode.ERROR))
        failed.record_exception(context.original_exception)
        failed.end()


def sql_span(statement: str) -> AbstractContextManager[Any]:
    """The span of a statement sent on the driver connection, past SQLAlchemy's events
    (`shared.db.DriverStatement`); as `_sql_started` makes, inside a traced request only."""
    tracer = _TRACER
    if tracer is None or not otel_trace.get_current_span().is_recording():
        return _NOOP
    return tracer.start_as_current_span(_verb(statement), **_sql_span_options(statement))


def _verb(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"


def _sql_span_options(statement: str) -> dict[str, Any]:
    return {
        "kind": otel_trace.SpanKind.CLIENT,
        "attributes": {"db.system": "postgresql", "db.statement": statement[:_STATEMENT_CHARS]},
    }
