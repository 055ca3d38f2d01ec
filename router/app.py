"""The router's HTTP app: GraphQL over HTTP, GraphiQL, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from router.gateway import Router, RouterResult
from router.metrics import RouterMetrics
from router.plan import plan_to_dict
from router.supergraph import Supergraph, load_supergraph
from router.transport import HttpTransport, Transport

GRAPHQL_RESPONSE = "application/graphql-response+json"
REQUEST_ID = "x-request-id"
GRAPHIQL = """<!doctype html>
<html><head><title>NEXO GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css" />
</head><body style="margin:0"><div id="graphiql" style="height:100vh"></div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, { fetcher, isHeadersEditorEnabled: true,
      defaultHeaders: '{"Authorization": "Bearer "}' }));
</script></body></html>"""


def http_transports(supergraph: Supergraph, timeout: float = 30.0) -> dict[str, Transport]:
    """An HTTP transport per subgraph, at the URL the supergraph's join__Graph gives."""
    return {g.name: HttpTransport(g.url, timeout=timeout) for g in supergraph.graphs.values()}


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def create_router_app(
    supergraph_sdl: str,
    transports: Mapping[str, Transport],
    *,
    dev: bool = False,
    subgraph_timeout: float | Mapping[str, float] = 30.0,
) -> Starlette:
    """The router as an ASGI app. `subgraph_timeout` is seconds, for all subgraphs or
    per subgraph name."""
    supergraph = load_supergraph(supergraph_sdl)
    metrics = RouterMetrics()
    router = Router(
        supergraph, transports, timeout=subgraph_timeout, observe_fetch=metrics.observe_fetch
    )

    def respond(request: Request, result: RouterResult, started: float) -> Response:
        outcome = (
            "request_error"
            if result.request_error
            else ("error" if result.body.get("errors") else "ok")
        )
        name = result.operation_name or "anonymous"
        metrics.requests.labels(name, outcome).inc()
        metrics.latency.labels(name, outcome).observe(time.perf_counter() - started)
        if result.cache_hit is not None:
            metrics.plan_cache.labels("hit" if result.cache_hit else "miss").inc()
        body = result.body
        if dev and request.headers.get("nexo-query-plan", "").lower() == "true":
            plan = plan_to_dict(result.plan.node) if result.plan else None
            body = {**body, "extensions": {**body.get("extensions", {}), "queryPlan": plan}}
        # graphql-response+json reports a request that never executed with a 4xx;
        # application/json keeps 200 for clients of the legacy format.
        if _wants_graphql_response(request):
            status = 400 if result.request_error else 200
            return _JSON(body, status, media_type=GRAPHQL_RESPONSE)
        return _JSON(body, 200)

    def bad_request(message: str) -> Response:
        return JSONResponse({"errors": [{"message": message}]}, 400)

    async def graphql(request: Request) -> Response:
        response = await handle(request)
        response.headers[REQUEST_ID] = request.state.request_id
        return response

    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        # Subgraph logs and ours correlate on it, whether or not the client sent one.
        request_id = request.headers.get(REQUEST_ID) or uuid.uuid4().hex
        request.state.request_id = request_id
        if request.method == "GET":
            if "text/html" in request.headers.get("accept", "") and not request.query_params:
                return HTMLResponse(GRAPHIQL)
            params: dict[str, Any] = dict(request.query_params)
            try:
                if params.get("variables"):
                    params["variables"] = json.loads(params["variables"])
            except ValueError:
                return bad_request("variables must be JSON")
            allowed: tuple[str, ...] = ("query",)
        else:
            content_type = request.headers.get("content-type", "")
            if "application/json" not in content_type:
                return JSONResponse(
                    {"errors": [{"message": "POST needs Content-Type: application/json"}]}, 415
                )
            try:
                params = await request.json()
            except ValueError:
                return bad_request("the body is not JSON")
            allowed = ("query", "mutation")
        if not isinstance(params, dict) or not isinstance(params.get("query"), str):
            return bad_request("a query string is required")
        variables = params.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return bad_request("variables must be an object")
        result = await router.execute(
            params["query"],
            variables,
            params.get("operationName"),
            {**request.headers, REQUEST_ID: request_id},
            allowed_operations=allowed,
        )
        if result.method_not_allowed:
            # GraphQL over HTTP: a mutation must not run on GET.
            return _JSON(result.body, 405, headers={"allow": "POST"})
        return respond(request, result, started)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> Response:
        async def probe(name: str, transport: Transport) -> tuple[str, bool]:
            try:
                answer = await asyncio.wait_for(
                    transport.fetch({"query": "{ __typename }"}, {}),
                    router.executor.timeout_for(name),
                )
                return name, bool(answer.get("data"))
            except Exception:
                return name, False

        checks = dict(await asyncio.gather(*(probe(n, t) for n, t in transports.items())))
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "subgraphs": checks}, 200 if ok else 503)

    async def metrics_endpoint(_: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        for transport in transports.values():
            close = getattr(transport, "aclose", None)
            if close is not None:
                await close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
    )
    app.state.router = router
    return app


def serve_supergraph(path: str | Path, host: str = "127.0.0.1", port: int = 3000) -> None:
    """Serve any Federation 2 supergraph file, calling subgraphs at its join__Graph URLs."""
    import uvicorn

    sdl = Path(path).read_text()
    app = create_router_app(sdl, http_transports(load_supergraph(sdl)))
    uvicorn.run(app, host=host, port=port, log_level="info")
