"""Prometheus metrics of one router app (own registry, so apps never collide), and the
request's log line.

The `operation` label is bounded: an operation's name is used once the router has run an
operation by that name (a document that parsed and validated) and while fewer than
`max_operations` names are known; any other name (unknown, invalid, or past the bound)
is `other`, and a request without a name is `anonymous`. A client sending random
operation names therefore adds at most `max_operations` label values, ever.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

from shared.logging import annotate
from shared.metrics import LATENCY_BUCKETS, Exposition, Labelled

if TYPE_CHECKING:
    from router.gateway import RouterResult

MAX_OPERATIONS = 100
"""Distinct operation names the router labels its metrics with; the rest are `other`."""

OTHER = "other"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
OUTCOMES = ("ok", "error", "request_error", "refused", "internal_error")


class OperationNames:
    """The bounded set of operation names used as label values (first seen, first kept)."""

    def __init__(self, capacity: int = MAX_OPERATIONS) -> None:
        self.capacity = capacity
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None, *, ran: bool) -> str:
        if not name:
            return ANONYMOUS
        if name in self._known:
            return name
        if not ran or not _NAME.match(name) or name in (OTHER, ANONYMOUS):
            return OTHER
        with self._lock:
            if len(self._known) < self.capacity:
                self._known.add(name)
                return name
        return OTHER


def outcome_of(result: RouterResult) -> str:
    """ok; error (GraphQL errors beside data); request_error (the document or its
    variables were refused before execution); refused (a limit); internal_error (a fault
    of NEXO's: some error is INTERNAL_SERVER_ERROR)."""
    errors = result.body.get("errors") or []
    if any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
        for e in errors
    ):
        return "internal_error"
    if result.refused is not None:
        return "refused"
    if result.request_error:
        return "request_error"
    return "error" if errors else "ok"


class RouterMetrics:
    def __init__(self, max_operations: int = MAX_OPERATIONS) -> None:
        self.registry = Exposition()
        """The router's `/metrics`: these, the process's, and the scrape-time collectors."""
        self.operations = OperationNames(max_operations)
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
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fetch_latency = Histogram(
            "nexo_router_subgraph_fetch_seconds",
            "Latency of requests to each subgraph",
            ["subgraph"],
            buckets=LATENCY_BUCKETS,
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

        self._requests, self._latency = Labelled(self.requests), Labelled(self.latency)
        self._fetch_latency = Labelled(self.fetch_latency)
        self._plan_cache = Labelled(self.plan_cache)

    def observe_fetch(self, subgraph: str, seconds: float, ok: bool) -> None:
        self._fetch_latency(subgraph).observe(seconds)
        if not ok:
            self.fetch_errors.labels(subgraph).inc()

    def record(self, result: RouterResult, seconds: float) -> None:
        """One answered GraphQL request: its counters and its log line's fields."""
        outcome = outcome_of(result)
        ran = not result.request_error and result.refused is None
        name = self.operations.label(result.operation_name, ran=ran)
        self._requests(name, outcome).inc()
        self._latency(name, outcome).observe(seconds)
        if result.cache_hit is not None:
            self._plan_cache("hit" if result.cache_hit else "miss").inc()
        if result.refused is not None:
            self.refusals.labels(result.refused).inc()
        annotate(operation=name, operation_type=result.operation_type, outcome=outcome)
