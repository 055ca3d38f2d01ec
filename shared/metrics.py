"""Prometheus metrics: HTTP request count and duration by service, route and status."""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter(
    "nexo_http_requests_total",
    "HTTP requests served",
    ["service", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "nexo_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.service = service
        self.routes = routes

    def _route(self, scope: Scope) -> str:
        # Label by route template, never by raw path: raw paths are unbounded cardinality.
        for route in self.routes:
            if route.matches(scope)[0] is Match.FULL:
                return str(getattr(route, "path", "other"))
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = self._route(scope)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, path, method, str(status)).inc()
            elapsed = time.perf_counter() - start
            HTTP_DURATION.labels(self.service, path, method, str(status)).observe(elapsed)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
