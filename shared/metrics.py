"""Prometheus metrics: the exposition (`/metrics`), HTTP request metrics and log lines, the
business counters every domain increments, and counting only what committed.

**Exposition.** `metrics_endpoint` (and the router's) expose the process's metrics, or,
with `PROMETHEUS_MULTIPROC_DIR` set (several worker processes behind one port), every
live process's through prometheus-client's multiprocess mode. Collectors computed at
scrape time (resource usage, the database gauges of `nexo.metrics_collector`) are added
with `register_collector`.

**Business counters count commits.** A domain calls `count(session, COUNTER, *labels)`
where the change happens; the increment waits for the session's transaction to commit
and is dropped if it (or the savepoint it was counted in) rolls back, so a mutation that
failed, or answered payload errors, counts nothing. Gauges that need a query over every
tenant are not here: `nexo.metrics_collector` computes them.

Label values are bounded: currencies are ISO codes or `other`; kinds and results are the
domain's own fixed sets. No label ever holds an id, a name a user typed, or a repr.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import Pool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.logging import QUIET_PATHS, RequestLine, request_line

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# --- exposition ------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    """The multiprocess directory prometheus-client writes every process's values to."""
    return os.environ.get(MULTIPROC_ENV) or None


def multiprocess_environment(directory: str) -> dict[str, str]:
    """This process's environment for a worker process whose metrics go to `directory`
    (it must be set before the worker imports prometheus-client)."""
    return {**os.environ, MULTIPROC_ENV: directory}


_SCRAPE_TIME: list[Collector] = []


def register_collector(collector: Collector) -> None:
    """Add a collector computed at scrape time to every `/metrics` of this process."""
    if collector not in _SCRAPE_TIME:
        _SCRAPE_TIME.append(collector)


def unregister_collector(collector: Collector) -> None:
    if collector in _SCRAPE_TIME:
        _SCRAPE_TIME.remove(collector)


class Exposition(CollectorRegistry):
    """A registry whose answer is a whole `/metrics`: the metrics registered in it (a
    router app's own) and the process's default registry or, in multiprocess mode, the
    values every live process wrote (its own included); then the scrape-time collectors."""

    def __init__(self) -> None:
        super().__init__(auto_describe=True)

    def collect(self) -> Iterable[Metric]:
        directory = multiprocess_dir()
        if directory:
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
            yield from merged.collect()
            yield from ProcessCollector(registry=None).collect()
        else:
            yield from REGISTRY.collect()
            yield from super().collect()
        for collector in list(_SCRAPE_TIME):
            yield from collector.collect()


_DEFAULT = Exposition()


def exposition(registry: CollectorRegistry = _DEFAULT) -> bytes:
    return generate_latest(registry)


async def metrics_endpoint(_: Request) -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


class Labelled:
    """A metric's children by label values, found in a dict. `labels()` validates,
    builds a tuple and takes a lock on every call, and the hot paths (each request,
    each subgraph fetch) ask again and again for the same few children. Label values
    are bounded wherever metrics are labelled; past `limit` children, they are looked
    up through `labels()` uncached."""

    def __init__(self, metric: Any, limit: int = 1000) -> None:
        self.metric = metric
        self.limit = limit
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self.metric.labels(*values)
            if len(self._children) < self.limit:
                self._children[values] = child
        return child


# --- HTTP requests ---------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "nexo_http_requests",
    "HTTP requests served",
    ["service", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "nexo_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge(
    "nexo_http_requests_in_flight",
    "HTTP requests being served",
    ["service"],
    multiprocess_mode="livesum",
)

PROCESS_REQUESTS = Gauge(
    "nexo_process_http_requests",
    "HTTP requests this process served since it started; with several workers"
    " (`nexo serve --workers`), one series per live worker, labelled by pid: how evenly"
    " the port's connections spread",
    multiprocess_mode="liveall",
)
"""A gauge, not a counter: multiprocess mode sums a counter over every process, and this
one is meant per process (a restarted worker starts again from 0)."""

_REQUESTS, _DURATION, _IN_FLIGHT = (
    Labelled(HTTP_REQUESTS),
    Labelled(HTTP_DURATION),
    Labelled(HTTP_IN_FLIGHT),
)

REQUEST_ID_HEADER = b"x-request-id"


class MetricsMiddleware:
    """Counts and times every HTTP request by route template, and logs its request line
    (`shared.logging`), which deeper layers fill in (operation, outcome, tenant...)."""

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
        path = self._route(scope)
        method = scope.get("method", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get(REQUEST_ID_HEADER.decode(), "")
        if not request_id:
            # Made here, so the request line has it; downstream reads it from the header.
            request_id = tracing.new_trace_id()
            scope["headers"] = [
                *(h for h in scope["headers"] if h[0].lower() != REQUEST_ID_HEADER),
                (REQUEST_ID_HEADER, request_id.encode()),
            ]
        line = RequestLine(
            service=self.service,
            request_id=request_id,
            trace_id=tracing.trace_id(headers, request_id),
            method=method,
            route=path,
        )

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", ()):
                    if key.lower() == REQUEST_ID_HEADER:
                        line.request_id = value.decode("latin-1")
            await send(message)

        in_flight = _IN_FLIGHT(self.service)
        in_flight.inc()
        try:
            with request_line(line, emit=False):
                await self.app(scope, receive, send_wrapper)
        finally:
            in_flight.dec()
            labels = (self.service, path, method, str(status))
            _REQUESTS(*labels).inc()
            PROCESS_REQUESTS.inc()
            _DURATION(*labels).observe(time.perf_counter() - start)
            if path not in QUIET_PATHS:
                line.status = status
                line.emit()


# --- subgraph operations (in-process and over HTTP alike) -------------------------------

SUBGRAPH_OPERATIONS = Counter(
    "nexo_subgraph_operations",
    "GraphQL operations a subgraph executed, by type and outcome",
    ["subgraph", "operation_type", "outcome"],
)
"""outcome: ok, error (GraphQL errors), internal_error (a fault of NEXO's)."""
SUBGRAPH_DURATION = Histogram(
    "nexo_subgraph_operation_seconds",
    "Time a subgraph took to execute an operation",
    ["subgraph", "operation_type"],
    buckets=LATENCY_BUCKETS,
)


# --- counting what committed -----------------------------------------------------------

_PENDING = "nexo.after_commit"


def _sync(session: AsyncSession | Session) -> Session:
    return session.sync_session if isinstance(session, AsyncSession) else session


def on_commit(session: AsyncSession | Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's transaction commits; never if it rolls back. Done
    inside a savepoint, it is dropped when that savepoint rolls back (a retried attempt
    counts once)."""
    sync = _sync(session)
    where = sync.get_nested_transaction() or sync.get_transaction()
    pending: dict[SessionTransaction | None, list[Callable[[], None]]]
    pending = sync.info.setdefault(_PENDING, {})
    pending.setdefault(where, []).append(action)


_COMMITTED = "nexo.after_commit.committed"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # Fires for a released savepoint too; the transaction's end tells which one it was.
    session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None and not transaction.nested:
        return  # a flush's subtransaction: the transaction goes on
    committed = session.info.pop(_COMMITTED, False)
    pending = session.info.get(_PENDING)
    if not pending:
        return
    actions = pending.pop(transaction, [])
    if transaction.nested:
        if committed:  # a released savepoint hands its actions to its parent
            pending.setdefault(transaction.parent, []).extend(actions)
        return
    leftover = [a for group in pending.values() for a in group]
    pending.clear()
    if committed:
        for action in [*actions, *leftover]:
            action()


def count(
    session: AsyncSession | Session,
    counter: Counter,
    *labels: str,
    amount: float = 1,
) -> None:
    """Increment `counter` (with `labels`) by `amount` once the transaction commits."""
    child = counter.labels(*labels) if labels else counter
    if amount:
        on_commit(session, lambda: child.inc(amount))


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def currency(code: object) -> str:
    """A currency label: the ISO code, or `other`."""
    text = str(code)
    return text if _CURRENCY.match(text) else "other"


def bounded(value: object, allowed: Iterable[str]) -> str:
    """`value` as a label if it is one of `allowed`, else `other`."""
    text = str(value)
    return text if text in set(allowed) else "other"


# --- business counters (the gauges are nexo.metrics_collector's) -----------------------

LOGINS = Counter("nexo_identity_logins", "Login attempts by result", ["result"])
"""result: success (committed), failure (wrong tenant, email or password), locked."""
SIGNUPS = Counter("nexo_identity_signups", "Tenants created by sign-up")
TOKEN_REFRESHES = Counter(
    "nexo_identity_token_refreshes", "Refresh-token rotations (access tokens re-issued)"
)

DEALS_CREATED = Counter("nexo_crm_deals_created", "Deals created")
DEALS_WON = Counter("nexo_crm_deals_won", "Deals closed as won")
DEALS_LOST = Counter("nexo_crm_deals_lost", "Deals closed as lost")
DEALS_WON_VALUE = Counter(
    "nexo_crm_deals_won_value", "Amount of the deals won, by currency", ["currency"]
)
CUSTOMERS_CREATED = Counter("nexo_crm_customers_created", "Customers added")
CONTACTS_CREATED = Counter("nexo_crm_contacts_created", "Contacts added")

ORDERS_CONFIRMED = Counter(
    "nexo_sales_orders_confirmed", "Sales orders confirmed, by currency", ["currency"]
)
ORDERS_CONFIRMED_VALUE = Counter(
    "nexo_sales_orders_confirmed_value",
    "Total (tax included) of the sales orders confirmed, by currency",
    ["currency"],
)
INVOICES_ISSUED = Counter(
    "nexo_sales_invoices_issued", "Invoices and credit notes posted", ["kind"]
)
"""kind: INVOICE, CREDIT_NOTE."""
PAYMENTS = Counter("nexo_sales_payments", "Customer payments registered", ["currency"])
PAYMENTS_VALUE = Counter(
    "nexo_sales_payments_value", "Amount of the customer payments registered", ["currency"]
)

STOCK_MOVES = Counter("nexo_stock_moves", "Done stock moves by kind", ["kind"])
"""kind: receipt, delivery, return, consumption, production, transfer, adjustment."""
STOCK_MOVE_KINDS = (
    "receipt",
    "delivery",
    "return",
    "consumption",
    "production",
    "transfer",
    "adjustment",
)

# Counted by purchases, production and notifications where the change happens; their
# state gauges still come from the database (nexo.metrics_collector).
PURCHASE_ORDERS_CONFIRMED = Counter("nexo_purchases_orders_confirmed", "Purchase orders confirmed")
PURCHASE_RECEIPTS = Counter("nexo_purchases_receipts", "Purchase receipts posted")
PURCHASE_BILLS_POSTED = Counter(
    "nexo_purchases_bills_posted", "Vendor bills posted, by currency", ["currency"]
)
PRODUCTION_TRANSITIONS = Counter(
    "nexo_production_order_transitions",
    "Production orders entering a state",
    ["status"],
)
"""status: CONFIRMED (released: components reserved), IN_PROGRESS, BLOCKED, DONE,
CANCELLED."""
QUALITY_FAILED = Counter("nexo_production_quality_failed", "Quality checks failed")
NOTIFICATIONS_SENT = Counter("nexo_notifications_sent", "Notification deliveries sent", ["channel"])
NOTIFICATIONS_FAILED = Counter(
    "nexo_notifications_failed", "Notification send attempts that failed", ["channel"]
)
NOTIFICATIONS_DEAD = Counter(
    "nexo_notifications_dead_lettered",
    "Notification deliveries given up on (dead letters)",
    ["channel"],
)
NOTIFICATION_CHANNELS = ("IN_APP", "EMAIL", "SMS")
PRODUCTION_STATUSES = ("CONFIRMED", "IN_PROGRESS", "BLOCKED", "DONE", "CANCELLED")
# Every known label value exported at 0 from the start, so a rate is 0 (not "no data")
# until the first delivery fails or the first order enters a state.
for _channel in NOTIFICATION_CHANNELS:
    for _counter in (NOTIFICATIONS_SENT, NOTIFICATIONS_FAILED, NOTIFICATIONS_DEAD):
        _counter.labels(_channel)
for _status in PRODUCTION_STATUSES:
    PRODUCTION_TRANSITIONS.labels(_status)


# --- database connections (every engine of the process) --------------------------------

DB_CONNECTIONS_IN_USE = Gauge(
    "nexo_db_connections_in_use",
    "Pooled database connections checked out",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_OPENED = Counter(
    "nexo_db_connections_opened", "Database connections opened by the pools"
)
DB_CHECKOUTS = Counter("nexo_db_checkouts", "Connections handed out by the pools")


@event.listens_for(Pool, "connect")
def _connected(*_: Any) -> None:
    DB_CONNECTIONS_OPENED.inc()


@event.listens_for(Pool, "checkout")
def _checked_out(*_: Any) -> None:
    DB_CHECKOUTS.inc()
    DB_CONNECTIONS_IN_USE.inc()


@event.listens_for(Pool, "checkin")
def _checked_in(*_: Any) -> None:
    DB_CONNECTIONS_IN_USE.dec()
