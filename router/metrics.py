"""Prometheus metrics of one router app (own registry, so apps never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class RouterMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nexo_router_requests",
            "GraphQL requests by operation name and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nexo_router_request_seconds",
            "GraphQL request latency by operation name and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.fetch_latency = Histogram(
            "nexo_router_subgraph_fetch_seconds",
            "Latency of requests to each subgraph",
            ["subgraph"],
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "nexo_router_subgraph_errors",
            "Subgraph fetches that failed or answered with errors",
            ["subgraph"],
            registry=self.registry,
        )
        self.plan_cache = Counter(
            "nexo_router_plan_cache",
            "Plan cache lookups by result",
            ["result"],
            registry=self.registry,
        )

        self.refusals = Counter(
            "nexo_router_limit_refusals",
            "Requests refused by a limit (depth, aliases, cost, bodyBytes, deadlineSeconds...)",
            ["limit"],
            registry=self.registry,
        )
        self.disconnects = Counter(
            "nexo_router_client_disconnects",
            "Requests whose client left before the answer; their work was cancelled",
            registry=self.registry,
        )

    def observe_fetch(self, subgraph: str, seconds: float, ok: bool) -> None:
        self.fetch_latency.labels(subgraph).observe(seconds)
        if not ok:
            self.fetch_errors.labels(subgraph).inc()
