"""The subgraph ASGI app factory and the in-process entry point the router calls.

Both paths build the same `RequestContext` from the same headers, so a subgraph answers
identically over HTTP and in-process. A browser's GET /graphql gets NEXO's own GraphiQL
(`shared.graphiql`, files served by this app, none from a CDN), except in production.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import structlog
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.http import process_result

from shared import internal_auth, tracing
from shared.context import RequestContext, Runtime, new_request_id
from shared.errors import NexoError
from shared.graphiql.web import assets_route, graphiql_response
from shared.metrics import MetricsMiddleware, metrics_endpoint
from shared.ratelimit import limit_request
from shared.revocation import ensure_revocations

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

log = structlog.get_logger("nexo.http")


def request_id_from(headers: Mapping[str, str]) -> str:
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if _VALID_REQUEST_ID.match(given) else new_request_id()


async def build_context(
    runtime: Runtime, headers: Mapping[str, str], *, peer: str | None = None
) -> RequestContext:
    # The client address only as the router's credential (or the HTTP peer) states it.
    _, headers = internal_auth.believed_headers(
        runtime.settings.internal_secret, headers, peer=peer
    )
    ensure_revocations(runtime)
    principal_or_error: Any
    try:
        principal_or_error = await runtime.verifier.authenticate(headers.get("authorization"))
        principal_or_error = await limit_request(runtime, principal_or_error) or principal_or_error
    except NexoError as exc:
        principal_or_error = exc
    return RequestContext(
        runtime=runtime,
        request_id=request_id_from(headers),
        headers=headers,
        principal_or_error=principal_or_error,
    )


async def execute_in_process(
    runtime: Runtime, schema: Schema, request: Mapping[str, Any], headers: Mapping[str, str]
) -> dict[str, Any]:
    """Execute a GraphQL-over-HTTP request body as `POST /graphql` would, without HTTP."""
    lowered = {k.lower(): v for k, v in headers.items()}
    ctx = await build_context(runtime, lowered)
    try:
        result = await schema.execute(
            request["query"],
            variable_values=request.get("variables"),
            context_value=ctx,
            operation_name=request.get("operationName"),
        )
    finally:
        await ctx.close()
    return dict(process_result(result))


class SubgraphGraphQL(GraphQL[RequestContext, None]):
    def __init__(self, schema: Schema, runtime: Runtime) -> None:
        super().__init__(schema, graphql_ide=None if runtime.settings.production else "graphiql")
        self.runtime = runtime

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads GraphiQL from a CDN; ours from this app.
        return graphiql_response()

    async def run(  # type: ignore[override]
        self, request: Request, context: Any = None, root_value: Any = None
    ) -> Response:
        secret = self.runtime.settings.internal_secret
        if not internal_auth.verify(secret, request.headers.get(internal_auth.HEADER)).trusted:
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Subgraphs answer the router only",
                            "extensions": {"code": "FORBIDDEN"},
                        }
                    ]
                },
                403,
            )
        peer = request.client.host if request.client else None
        ctx = await build_context(self.runtime, request.headers, peer=peer)
        try:
            response = await super().run(request, context=ctx)
        finally:
            await ctx.close()
        wait = internal_auth.retry_after_header(response.body)
        if wait is not None:
            response.headers["retry-after"] = wait
        return response

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()


class RequestIdMiddleware:
    """Binds the request id to every log line and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        request_id = request_id_from(headers)
        if headers.get(REQUEST_ID_HEADER) != request_id:
            # Downstream (the GraphQL context) reads the id from the headers.
            scope["headers"] = [
                *(h for h in scope["headers"] if h[0].lower() != REQUEST_ID_HEADER.encode()),
                (REQUEST_ID_HEADER.encode(), request_id.encode()),
            ]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_wrapper)


def create_subgraph_app(
    *,
    name: str,
    schema: Schema,
    runtime: Runtime,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    graphql = SubgraphGraphQL(schema, runtime)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": name})

    async def ready(_: Request) -> Response:
        try:
            async with runtime.db.engine.connect() as conn:
                await conn.execute(text("select 1"))
        except Exception as exc:
            log.warning("ready.database_unreachable", error=str(exc))
            return JSONResponse({"status": "unavailable", "service": name}, status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health),
        Route("/ready", ready),
        Route("/metrics", metrics_endpoint),
        *([assets_route()] if graphql.graphql_ide else []),
        *extra_routes,
    ]
    # Inside the metrics middleware: the span continues the router's `traceparent` and
    # gives the request line its trace id.
    traced = [Middleware(tracing.TracingMiddleware, service=name)] if tracing.setup(name) else []
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, service=name, routes=routes),
            Middleware(RequestIdMiddleware),
            *traced,
        ],
    )
