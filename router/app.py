"""The router's HTTP app: GraphQL over HTTP, GraphiQL, health, readiness, metrics.

Hardened for the internet: the body is read up to `OperationLimits.body_bytes` (413
past it), its JSON may nest `json_depth` levels (400, never a 500), `query` must be
a string, `variables` and `extensions` objects (or null), `operationName` a string
(or null); a JSON array (a batch) is refused with a 400 that says so. The work of a
request is cancelled when its client disconnects, and a response over
`response_bytes` is replaced by an error. `RouterSettings` (`NEXO_ENV=production`)
turns introspection, field suggestions, GraphiQL and GET queries off.

GraphiQL is served from this app's own files (`shared.graphiql`: nothing is loaded from
a CDN). Browsers on other origins may call it only from `NEXO_CORS_ORIGINS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from router import trusted_documents
from router.gateway import Router, RouterResult
from router.internal_credential import RouterEdge, signed_transports
from router.limits import OperationLimits
from router.metrics import RouterMetrics
from router.plan import plan_to_dict
from router.settings import RouterSettings
from router.supergraph import Supergraph, load_supergraph
from router.transport import REQUEST_ID, HttpTransport, Transport, to_json, traced_transports
from shared import tracing
from shared.codes import Code
from shared.graphiql.web import assets_route, graphiql_response
from shared.metrics import MetricsMiddleware
from shared.tracing import TracingMiddleware

GRAPHQL_RESPONSE = "application/graphql-response+json"


GC_THRESHOLDS = (20_000, 2, 2)
"""A serving process's collector thresholds (`settle_heap`): a young collection every
20,000 allocations, not 700; a full one every 80,000, about as often as the defaults'
70,000, so garbage in cycles lives no longer than it did."""

CLIENT_CLOSED = 499
"""nginx's status for a request whose client went away; nobody reads it."""


def http_transports(supergraph: Supergraph, timeout: float = 30.0) -> dict[str, Transport]:
    """An HTTP transport per subgraph, at the URL the supergraph's join__Graph gives."""
    return {g.name: HttpTransport(g.url, timeout=timeout) for g in supergraph.graphs.values()}


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return to_json(content)


class Refusal(JSONResponse):
    """A request refused before it reached the router; `limit` names the limit that
    refused it, if one did (counted in `nexo_router_limit_refusals`)."""

    def __init__(self, message: str, status: int = 400, limit: str | None = None, **ext: Any):
        error: dict[str, Any] = {"message": message}
        if limit is not None:
            error["extensions"] = {"limit": limit, **ext}
        super().__init__({"errors": [error]}, status)
        self.limit = limit


@dataclass(frozen=True)
class RouterAppState:
    """What the endpoints share, passed to each of them explicitly."""

    router: Router
    metrics: RouterMetrics
    transports: Mapping[str, Transport]
    dev: bool = False
    settings: RouterSettings = field(default_factory=RouterSettings)


@dataclass(frozen=True)
class GraphQLRequest:
    """A GraphQL-over-HTTP request's parameters, checked for shape but not yet parsed."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    allowed_operations: tuple[str, ...]


def _wants_graphql_response(headers: Mapping[str, str]) -> bool:
    return GRAPHQL_RESPONSE in headers.get("accept", "")


def wants_graphiql(
    method: str, headers: Mapping[str, str], query_params: Mapping[str, str]
) -> bool:
    return method == "GET" and "text/html" in headers.get("accept", "") and not query_params


def json_depth_over(value: Any, limit: int) -> bool:
    """Whether the parsed JSON nests deeper than `limit` objects and arrays."""
    if not isinstance(value, dict | list):
        return False
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _load_json(text: str | bytes, what: str, limits: OperationLimits, not_json: str) -> Any:
    """The JSON value, or the Refusal for text that is not JSON or nests too deep."""
    depth = limits.json_depth

    def too_deep() -> Refusal:
        return Refusal(
            f"{what} nests deeper than {depth} levels"
            if depth
            else f"{what} nests too deep to read",
            limit="jsonDepth",
            max=depth,
        )

    try:
        value = json.loads(text)
    except RecursionError:
        return too_deep()
    except ValueError:
        return Refusal(not_json)
    if depth is not None and json_depth_over(value, depth):
        return too_deep()
    return value


_UNREAD = object()


def parse_graphql_request(
    method: str,
    headers: Mapping[str, str],
    query_params: Mapping[str, str],
    body: bytes,
    limits: OperationLimits | None = None,
    *,
    loaded: Any = _UNREAD,
) -> GraphQLRequest | Response:
    """The request's GraphQL parameters, or the response that refuses it.

    GET carries them in the query string (`variables` and `extensions` JSON-encoded)
    and may only run queries; any other method carries a JSON body and may also run
    mutations. `loaded` is the body already parsed (`load_body`), if it was.
    """
    limits = limits or OperationLimits()
    params: Any
    if method == "GET":
        params = dict(query_params)
        for name in ("variables", "extensions"):
            if params.get(name):
                loaded = _load_json(params[name], name, limits, f"{name} must be JSON")
                if isinstance(loaded, Response):
                    return loaded
                params[name] = loaded
            else:
                params.pop(name, None)
        allowed: tuple[str, ...] = ("query",)
    else:
        params = load_body(headers, body, limits) if loaded is _UNREAD else loaded
        if isinstance(params, Response):
            return params
        allowed = ("query", "mutation")
    if isinstance(params, list):
        return Refusal(
            "batched requests (a JSON array of operations) are not supported:"
            " send one operation per request"
        )
    if not isinstance(params, dict) or not isinstance(params.get("query"), str):
        return Refusal("a query string is required")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return Refusal("variables must be an object")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return Refusal("operationName must be a string")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        return Refusal("extensions must be an object")
    return GraphQLRequest(
        query=params["query"],
        variables=variables,
        operation_name=operation_name,
        extensions=extensions,
        allowed_operations=allowed,
    )


def load_body(headers: Mapping[str, str], body: bytes, limits: OperationLimits) -> Any:
    """A POST body's JSON value, or the Refusal of a body that is not JSON (or not
    declared JSON), or nests too deep."""
    if "application/json" not in headers.get("content-type", ""):
        return Refusal("POST needs Content-Type: application/json", 415)
    return _load_json(body, "the body", limits, "the body is not JSON")


async def read_body(request: Request, limit: int | None) -> bytes | Response:
    """The body, read no further than `limit` bytes: past it, a 413."""

    def too_large() -> Refusal:
        return Refusal(
            f"the request body is larger than {limit} bytes", 413, limit="bodyBytes", max=limit
        )

    declared = request.headers.get("content-length", "")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        return too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            return too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def execute_graphql(
    state: RouterAppState, request: GraphQLRequest, headers: Mapping[str, str], request_id: str
) -> RouterResult:
    return await state.router.execute(
        request.query,
        request.variables,
        request.operation_name,
        {**headers, REQUEST_ID: request_id},
        allowed_operations=request.allowed_operations,
    )


def _record(metrics: RouterMetrics, result: RouterResult, started: float) -> None:
    metrics.record(result, time.perf_counter() - started)  # bounded labels, the log line


def _too_large(size: int, limit: int) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": f"The response would be {size} bytes, over the limit of {limit}:"
                " ask for fewer objects or fields.",
                "extensions": {
                    "code": str(Code.RESPONSE_TOO_LARGE),
                    "limit": "responseBytes",
                    "value": size,
                    "max": limit,
                },
            }
        ],
        "data": None,
    }


def graphql_response(
    state: RouterAppState, headers: Mapping[str, str], result: RouterResult, started: float
) -> Response:
    if result.method_not_allowed:
        # GraphQL over HTTP: a mutation must not run on GET.
        return _JSON(result.body, 405, headers={"allow": "POST"})
    body = result.body
    if state.dev and headers.get("nexo-query-plan", "").lower() == "true":
        plan = plan_to_dict(result.plan.node) if result.plan else None
        body = {**body, "extensions": {**body.get("extensions", {}), "queryPlan": plan}}
    content = to_json(body)
    limit = state.settings.limits.response_bytes
    if limit is not None and len(content) > limit:
        result = dataclasses.replace(result, refused="responseBytes")
        content = to_json(_too_large(len(content), limit))
    _record(state.metrics, result, started)
    # graphql-response+json reports a request that never executed with a 4xx;
    # application/json keeps 200 for clients of the legacy format.
    if _wants_graphql_response(headers):
        status = 400 if result.request_error else 200
        return Response(content, status, media_type=GRAPHQL_RESPONSE)
    return Response(content, 200, media_type="application/json")


async def graphql_endpoint(state: RouterAppState, request: Request) -> Response:
    started = time.perf_counter()
    # Subgraph logs and ours correlate on it, whether or not the client sent one.
    request_id = request.headers.get(REQUEST_ID) or uuid.uuid4().hex
    try:
        response = await _answer(state, request, request_id, started)
    except ClientDisconnect:
        state.metrics.disconnects.inc()
        response = Response(status_code=CLIENT_CLOSED)
    if isinstance(response, Refusal) and response.limit is not None:
        state.metrics.refusals.labels(response.limit).inc()
    response.headers[REQUEST_ID] = request_id
    return response


class GraphQLEndpoint:
    """`/graphql` as an ASGI app. A function endpoint would have Starlette wrap each
    call in a layer of exception handling (and its own `send`) that this one has no use
    for: it answers every request with a response of its own, and a fault of the
    router's reaches the server's error middleware all the same."""

    def __init__(self, state: RouterAppState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await graphql_endpoint(self.state, Request(scope, receive, send))
        await response(scope, receive, send)


async def _client_gone(receive: Receive) -> None:
    """Returns when the client disconnects (the body has been read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _answer(
    state: RouterAppState, request: Request, request_id: str, started: float
) -> Response:
    settings = state.settings
    if request.method == "OPTIONS":
        # A CORS preflight from an allowed origin is answered by the middleware first.
        return Response(status_code=204, headers={"allow": _allowed_methods(settings)})
    if settings.graphiql and wants_graphiql(request.method, request.headers, request.query_params):
        return graphiql_response()
    if request.method == "GET" and not settings.http_get:
        refused = Refusal("queries over GET are disabled here: POST them as JSON", 405)
        refused.headers["allow"] = "POST"
        return refused
    body = b""
    if request.method != "GET":
        read = await read_body(request, settings.limits.body_bytes)
        if isinstance(read, Response):
            return read
        body = read
    if request.method == "GET":
        admitted = trusted_documents.admit(request, body)  # persisted queries, safelist
        if isinstance(admitted, Response):
            return admitted
        body, query_params = admitted
        parsed = parse_graphql_request(
            request.method, request.headers, query_params, body, settings.limits
        )
    else:
        # The body is parsed once, for the persisted queries and for the request.
        loaded = load_body(request.headers, body, settings.limits)
        if isinstance(loaded, Response):
            return loaded
        loaded = trusted_documents.admit_loaded(request, loaded)
        if isinstance(loaded, Response):
            return loaded
        parsed = parse_graphql_request(
            request.method, request.headers, {}, body, settings.limits, loaded=loaded
        )
    if isinstance(parsed, Response):
        return parsed
    # The work runs as a task that is cancelled when the client leaves: no one
    # would read the answer, and its subgraph calls would go on costing.
    work = asyncio.ensure_future(execute_graphql(state, parsed, request.headers, request_id))
    gone = asyncio.ensure_future(_client_gone(request.receive))
    try:
        await asyncio.wait((work, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
    if work.cancelled():
        state.metrics.disconnects.inc()
        return Response(status_code=CLIENT_CLOSED)
    return graphql_response(state, request.headers, work.result(), started)


def _allowed_methods(settings: RouterSettings) -> str:
    return "GET, POST, OPTIONS" if settings.http_get else "POST, OPTIONS"


CORS_REQUEST_HEADERS = ("authorization", "content-type", "accept", "idempotency-key", REQUEST_ID)
CORS_RESPONSE_HEADERS = (REQUEST_ID, "retry-after")


def cors_middleware(settings: RouterSettings, *, dev: bool = False) -> list[Middleware]:
    """CORS for `settings.cors_origins` only; none configured: no CORS headers at all."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=settings.cors_credentials,
            allow_methods=["GET", "POST"] if settings.http_get else ["POST"],
            allow_headers=[*CORS_REQUEST_HEADERS, *(["nexo-query-plan"] if dev else [])],
            expose_headers=list(CORS_RESPONSE_HEADERS),
            max_age=600,
        )
    ]


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(state: RouterAppState, _: Request) -> Response:
    async def probe(name: str, transport: Transport) -> tuple[str, bool]:
        try:
            answer = await asyncio.wait_for(
                transport.fetch({"query": "{ __typename }"}, {}),
                state.router.executor.timeout_for(name),
            )
            return name, bool(answer.get("data"))
        except Exception:
            return name, False

    checks = dict(await asyncio.gather(*(probe(n, t) for n, t in state.transports.items())))
    ok = all(checks.values())
    return JSONResponse({"ready": ok, "subgraphs": checks}, 200 if ok else 503)


async def metrics_endpoint(state: RouterAppState, _: Request) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def settle_heap() -> None:
    """What startup made (schemas, the supergraph, subgraph apps) lives as long as the
    process: out of the collector's sight, a full collection (which holds the GIL, so
    the event loop, for its whole length) walks only what requests made.

    A request makes thousands of containers (a subgraph answer's dicts, the merged tree,
    the response) that all die by reference count when it ends; a young-generation
    collection every 700 of them walks the trees of every request in flight to find no
    garbage. Every 20,000 (`GC_THRESHOLDS`): 4% of a `guild` request's instructions
    fewer (bench/router_profile.py --instructions). Thresholds someone raised already
    are left as they are."""
    gc.collect()
    gc.freeze()
    if gc.get_threshold()[0] < GC_THRESHOLDS[0]:
        gc.set_threshold(*GC_THRESHOLDS)


@asynccontextmanager
async def _lifespan(transports: Mapping[str, Transport], _: Starlette) -> AsyncIterator[None]:
    settle_heap()
    yield
    for transport in transports.values():
        close = getattr(transport, "aclose", None)
        if close is not None:
            await close()


def create_router_app(
    supergraph_sdl: str,
    transports: Mapping[str, Transport],
    *,
    dev: bool = False,
    subgraph_timeout: float | Mapping[str, float] = 30.0,
    settings: RouterSettings | None = None,
    limits: OperationLimits | None = None,
    production: bool | None = None,
) -> Starlette:
    """The router as an ASGI app. `subgraph_timeout` is seconds, for all subgraphs or
    per subgraph name. `settings` default to `RouterSettings.from_env()` (so
    `NEXO_ENV`, `NEXO_INTROSPECTION`, `NEXO_LIMIT_*`...), with `production` in place of
    `NEXO_ENV` when given; `limits` replace the settings' limits. `dev` only
    allows the `nexo-query-plan` header."""
    if settings is None:
        settings = RouterSettings.from_env(production=production)
    if limits is not None:
        settings = dataclasses.replace(settings, limits=limits)
    transports = signed_transports(transports)  # the router's credential on subgraph calls
    traced = tracing.setup("router")  # spans over OTLP when configured (shared.tracing)
    supergraph = load_supergraph(supergraph_sdl)
    metrics = RouterMetrics()
    router = Router(
        supergraph,
        traced_transports(transports),
        timeout=subgraph_timeout,
        observe_fetch=metrics.observe_fetch,
        limits=settings.limits,
        introspection=settings.introspection,
        suggestions=settings.field_suggestions,
    )
    state = RouterAppState(router, metrics, transports, dev, settings)
    routes: list[BaseRoute] = [
        Route("/graphql", GraphQLEndpoint(state), methods=["GET", "POST", "OPTIONS"]),
        Route("/health", health),
        Route("/ready", partial(ready, state)),
        Route("/metrics", partial(metrics_endpoint, state)),
    ]
    if settings.graphiql:
        routes.append(assets_route())
    app = Starlette(
        routes=routes,
        middleware=cors_middleware(settings, dev=dev),
        lifespan=partial(_lifespan, transports),
    )
    app.state.router = router
    app.state.settings = settings
    app.add_middleware(RouterEdge)  # the client's address for the credential; Retry-After
    if traced:  # inside the metrics middleware, whose log line takes the trace id
        app.add_middleware(TracingMiddleware, service="router")
    app.add_middleware(MetricsMiddleware, service="router", routes=app.routes)  # + log line
    return app


def serve_supergraph(
    path: str | Path, host: str = "127.0.0.1", port: int = 3000, shutdown_grace: int = 5
) -> None:
    """Serve any Federation 2 supergraph file, calling subgraphs at its join__Graph URLs.

    On SIGTERM requests in flight get `shutdown_grace` seconds to finish, then are
    cancelled: the process is gone within seconds whatever it was doing."""
    import uvicorn

    sdl = Path(path).read_text()
    app = create_router_app(sdl, http_transports(load_supergraph(sdl)))
    uvicorn.run(
        app, host=host, port=port, log_level="info", timeout_graceful_shutdown=shutdown_grace
    )
