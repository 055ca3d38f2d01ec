"""Gauges computed at scrape time: the business figures that need a query over every
tenant, and the resource usage of the process's machine or container.

**Database gauges** (pipeline value, overdue receivables, open low-stock alerts, stock
valuation, active sessions, documents by state, the outbox backlog...) are one aggregate
query each over all tenants, on a connection that sees every tenant (the owner's, or
`NEXO_METRICS_DATABASE_URL`'s: a role with BYPASSRLS and SELECT). A scrape never waits
for them: it gets the figures of the last refresh, and starts a refresh when those are
older than `NEXO_METRICS_REFRESH_SECONDS`; so however often and however many scrapers
ask, each query runs at most once per interval per process, under a statement timeout.
The stock ledger check (`nexo stock verify`'s query) runs ten times less often.

**Resource gauges** read the cgroup (v2 or v1) of the container, or the host when there
is no limit: CPU cores and seconds used, memory limit and working set, and the
filesystem holding the data directory. The CPU, memory and disk alerts divide them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shared import metrics
from shared.settings import Settings

log = structlog.get_logger("nexo.metrics")

MAX_SERIES = 30
"""Label values one database gauge keeps (largest first); the rest add up as `other`."""
STATEMENT_TIMEOUT_MS = 5000
LEDGER_EVERY = 10
"""The ledger check runs once per this many refreshes."""


@dataclass(frozen=True, slots=True)
class DatabaseGauge:
    name: str
    help: str
    domain: str
    """Which subgraph's process computes it in split mode (`shared`: notifications')."""
    sql: str
    """Rows of label values then the value, one aggregate over every tenant."""
    labels: tuple[str, ...] = ()
    counter: bool = False
    """A count of rows that are never deleted: exposed as a counter (rate() works)."""


GAUGES: tuple[DatabaseGauge, ...] = (
    DatabaseGauge(
        "nexo_identity_active_sessions",
        "Logins whose refresh token is live (not revoked, rotated or expired)",
        "identity",
        "SELECT count(*) FROM identity.refresh_token"
        " WHERE revoked_at IS NULL AND rotated_at IS NULL AND expires_at > now()",
    ),
    DatabaseGauge(
        "nexo_identity_tenants",
        "Tenants",
        "identity",
        "SELECT count(*) FROM identity.tenant",
    ),
    DatabaseGauge(
        "nexo_identity_active_users",
        "Users that are not deactivated",
        "identity",
        'SELECT count(*) FROM identity."user" WHERE active',
    ),
    DatabaseGauge(
        "nexo_crm_pipeline_value",
        "Amount of the open deals by pipeline stage and currency",
        "crm",
        "SELECT s.name, d.currency, sum(d.amount) FROM crm.deal d"
        " JOIN crm.pipeline_stage s ON s.tenant_id = d.tenant_id AND s.id = d.stage_id"
        " WHERE d.status = 'OPEN' GROUP BY 1, 2",
        ("stage", "currency"),
    ),
    DatabaseGauge(
        "nexo_crm_open_deals",
        "Open deals by pipeline stage",
        "crm",
        "SELECT s.name, count(d.id) FROM crm.pipeline_stage s"
        " LEFT JOIN crm.deal d ON d.tenant_id = s.tenant_id AND d.stage_id = s.id"
        " AND d.status = 'OPEN' GROUP BY 1",
        ("stage",),
    ),
    DatabaseGauge(
        "nexo_sales_overdue_receivables",
        "Amount due on invoices past their customer's payment terms, by currency",
        "sales",
        # Every currency invoiced in appears, overdue or not (0).
        "SELECT i.currency, coalesce(sum(i.total - i.amount_paid) FILTER (WHERE"
        " i.status = 'POSTED' AND i.invoice_date + c.payment_terms_days < current_date), 0)"
        " FROM sales.invoice i"
        " JOIN crm.customer c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id"
        " WHERE i.kind = 'INVOICE' GROUP BY 1",
        ("currency",),
    ),
    DatabaseGauge(
        "nexo_sales_open_receivables",
        "Amount due on posted invoices not yet paid, by currency",
        "sales",
        "SELECT currency, coalesce(sum(total - amount_paid) FILTER (WHERE status = 'POSTED'), 0)"
        " FROM sales.invoice WHERE kind = 'INVOICE' GROUP BY 1",
        ("currency",),
    ),
    DatabaseGauge(
        "nexo_sales_orders",
        "Sales orders by status",
        "sales",
        "SELECT status, count(*) FROM sales.sales_order GROUP BY 1",
        ("status",),
    ),
    DatabaseGauge(
        "nexo_stock_low_stock_alerts_open",
        "Low-stock alerts not yet resolved",
        "stock",
        "SELECT count(*) FROM stock.low_stock_alert WHERE status = 'OPEN'",
    ),
    DatabaseGauge(
        "nexo_stock_valuation",
        "Stock on hand at its average cost, by the products' currency",
        "stock",
        "SELECT p.currency, sum(l.on_hand * p.cost) FROM stock.stock_level l"
        " JOIN stock.product p ON p.tenant_id = l.tenant_id AND p.id = l.product_id"
        " GROUP BY 1",
        ("currency",),
    ),
    DatabaseGauge(
        "nexo_purchases_orders",
        "Purchase orders by status",
        "purchases",
        "SELECT status, count(*) FROM purchases.purchase_order GROUP BY 1",
        ("status",),
    ),
    DatabaseGauge(
        "nexo_purchases_receipts_recorded",
        "Purchase receipts recorded (a count of rows: rate() gives receipts per second)",
        "purchases",
        "SELECT count(*) FROM purchases.receipt",
        counter=True,
    ),
    DatabaseGauge(
        "nexo_production_orders",
        "Production orders by status",
        "production",
        "SELECT status, count(*) FROM production.production_order GROUP BY 1",
        ("status",),
    ),
    DatabaseGauge(
        "nexo_notifications_deliveries",
        "Notification deliveries by channel and state (DEAD: dead letters)",
        "notifications",
        "SELECT channel, state, count(*) FROM notifications.delivery GROUP BY 1, 2",
        ("channel", "state"),
    ),
    DatabaseGauge(
        "nexo_notifications_failed_attempts",
        "Send attempts that failed (attempts beyond the one that succeeded), by channel",
        "notifications",
        "SELECT channel, sum(attempts - CASE WHEN state = 'SENT' THEN 1 ELSE 0 END)"
        " FROM notifications.delivery WHERE attempts > 0 GROUP BY 1",
        ("channel",),
    ),
    DatabaseGauge(
        "nexo_outbox_unpublished",
        "Outbox events not yet relayed",
        "shared",
        "SELECT count(*) FROM shared.outbox_event WHERE published_at IS NULL",
    ),
    DatabaseGauge(
        "nexo_outbox_oldest_unpublished_age_seconds",
        "Age of the oldest outbox event not yet relayed (0: none waiting)",
        "shared",
        "SELECT coalesce(extract(epoch FROM now() - min(occurred_at)), 0)"
        " FROM shared.outbox_event WHERE published_at IS NULL",
    ),
)

ALL_DOMAINS = frozenset(g.domain for g in GAUGES) | {"ledger"}


def _value(value: Any) -> float:
    return float(value or 0)


def _fold(rows: Sequence[Sequence[Any]], width: int) -> list[tuple[tuple[str, ...], float]]:
    """Rows as (labels, value), largest first, past `MAX_SERIES` folded into `other`."""
    samples = [
        (tuple("" if v is None else str(v) for v in row[:width]), _value(row[width]))
        for row in rows
    ]
    samples.sort(key=lambda s: -abs(s[1]))
    kept, rest = samples[:MAX_SERIES], samples[MAX_SERIES:]
    if rest:
        kept.append((("other",) * width, sum(v for _, v in rest)))
    return kept


def _label(name: str, value: str) -> str:
    if name == "currency":
        return metrics.currency(value)
    return value[:64] or "none"


@dataclass(eq=False)
class DatabaseCollector(Collector):
    """The database gauges, refreshed at most every `interval` seconds (see the module)."""

    engine: AsyncEngine
    interval: float
    gauges: Sequence[DatabaseGauge]
    ledger: bool = True
    _families: list[Metric] = field(default_factory=list)
    _errors: dict[str, int] = field(default_factory=dict)
    _refreshed_at: float = 0.0
    _refreshes: int = 0
    _duration: float = 0.0
    _task: asyncio.Task[None] | None = None
    _ledger: float | None = None
    _warned: set[str] = field(default_factory=set)

    def collect(self) -> Iterable[Metric]:
        self._maybe_refresh()
        yield from self._families
        if self._ledger is not None:
            family = GaugeMetricFamily(
                "nexo_stock_ledger_differences",
                "Stock levels that differ from the ledger (nexo stock verify); 0 is healthy",
            )
            family.add_metric([], self._ledger)
            yield family
        errors = CounterMetricFamily(
            "nexo_metrics_collector_errors",
            "Database gauge queries that failed, by gauge",
            labels=["gauge"],
        )
        for name, n in sorted(self._errors.items()):
            errors.add_metric([name], n)
        yield errors
        duration = GaugeMetricFamily(
            "nexo_metrics_collector_refresh_seconds", "How long the last refresh took"
        )
        duration.add_metric([], self._duration)
        yield duration
        age = GaugeMetricFamily(
            "nexo_metrics_collector_last_refresh_timestamp_seconds",
            "When the database gauges were last refreshed (Unix time)",
        )
        age.add_metric([], self._refreshed_at)
        yield age

    def _maybe_refresh(self) -> None:
        if self._task is not None and not self._task.done():
            return
        if time.time() - self._refreshed_at < self.interval:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # scraped outside an event loop: serve what is cached
        self._task = loop.create_task(self.refresh())

    async def refresh(self) -> None:
        started = time.perf_counter()
        families: list[Metric] = []
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            for gauge in self.gauges:
                try:
                    rows = (await conn.execute(text(gauge.sql))).all()
                except Exception as exc:
                    self._failed(gauge.name, exc)
                    continue
                families.append(self._family(gauge, rows))
        if self.ledger and self._refreshes % LEDGER_EVERY == 0:
            await self._check_ledger()
        self._families = families
        self._refreshes += 1
        self._duration = time.perf_counter() - started
        self._refreshed_at = time.time()

    async def _check_ledger(self) -> None:
        from subgraphs.stock import api as stock

        try:
            async with AsyncSession(bind=self.engine) as session:
                timeout = 10 * STATEMENT_TIMEOUT_MS
                await session.execute(text(f"SET LOCAL statement_timeout = {timeout}"))
                self._ledger = float(len(await stock.verify_levels(session, None)))
        except Exception as exc:
            self._failed("nexo_stock_ledger_differences", exc)

    def _failed(self, name: str, exc: Exception) -> None:
        self._errors[name] = self._errors.get(name, 0) + 1
        if name not in self._warned:
            self._warned.add(name)
            log.warning("metrics.gauge_failed", gauge=name, error=str(exc).splitlines()[0])

    def _family(self, gauge: DatabaseGauge, rows: Sequence[Sequence[Any]]) -> Metric:
        kind = CounterMetricFamily if gauge.counter else GaugeMetricFamily
        family = kind(gauge.name, gauge.help, labels=list(gauge.labels))
        if not gauge.labels:
            family.add_metric([], _value(rows[0][0]) if rows else 0.0)
            return family
        merged: dict[tuple[str, ...], float] = {}
        for values, value in _fold(rows, len(gauge.labels)):
            key = tuple(_label(n, v) for n, v in zip(gauge.labels, values, strict=True))
            merged[key] = merged.get(key, 0.0) + value
        for key, value in merged.items():
            family.add_metric(list(key), value)
        return family

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        await self.engine.dispose()


# --- resource usage ---------------------------------------------------------------------

_CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _number(path: Path) -> float | None:
    raw = _read(path)
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _stat(path: Path, key: str) -> float | None:
    for line in (_read(path) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def cpu_limit_cores(root: Path = _CGROUP) -> float:
    v2 = (_read(root / "cpu.max") or "").split()
    if len(v2) == 2 and v2[0] != "max":
        return float(v2[0]) / float(v2[1])
    quota = _number(root / "cpu" / "cpu.cfs_quota_us")
    period = _number(root / "cpu" / "cpu.cfs_period_us")
    if quota and period and quota > 0:
        return quota / period
    return float(psutil.cpu_count() or 1)


def cpu_usage_seconds(root: Path = _CGROUP) -> float:
    usage = _stat(root / "cpu.stat", "usage_usec")
    if usage is not None:
        return usage / 1e6
    nanos = _number(root / "cpuacct" / "cpuacct.usage")
    if nanos is not None:
        return nanos / 1e9
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def memory_limit_and_used(root: Path = _CGROUP) -> tuple[float, float]:
    """(limit, working set) of the container, or of the host without a limit."""
    host = psutil.virtual_memory()
    limit = _read(root / "memory.max")
    if limit is not None and limit != "max":
        current = _number(root / "memory.current") or 0.0
        inactive = _stat(root / "memory.stat", "inactive_file") or 0.0
        return float(limit), max(current - inactive, 0.0)
    v1 = _number(root / "memory" / "memory.limit_in_bytes")
    if v1 is not None and v1 < host.total:
        usage = _number(root / "memory" / "memory.usage_in_bytes") or 0.0
        inactive = _stat(root / "memory" / "memory.stat", "total_inactive_file") or 0.0
        return v1, max(usage - inactive, 0.0)
    return float(host.total), float(host.total - host.available)


@dataclass(eq=False)
class ResourceCollector(Collector):
    paths: Sequence[Path] = ()

    def collect(self) -> Iterable[Metric]:
        cores = GaugeMetricFamily(
            "nexo_cpu_limit_cores", "CPU cores available (the container's quota, or the host's)"
        )
        cores.add_metric([], cpu_limit_cores())
        yield cores
        used = CounterMetricFamily(
            "nexo_cpu_usage_seconds", "CPU seconds used by the container (or the host)"
        )
        used.add_metric([], cpu_usage_seconds())
        yield used
        limit, working = memory_limit_and_used()
        memory_limit = GaugeMetricFamily(
            "nexo_memory_limit_bytes", "Memory available (the container's limit, or the host's)"
        )
        memory_limit.add_metric([], limit)
        yield memory_limit
        memory_used = GaugeMetricFamily(
            "nexo_memory_used_bytes", "Memory in use (working set: without reclaimable cache)"
        )
        memory_used.add_metric([], working)
        yield memory_used
        size = GaugeMetricFamily(
            "nexo_filesystem_size_bytes", "Size of the filesystem NEXO writes to", labels=["path"]
        )
        free = GaugeMetricFamily(
            "nexo_filesystem_free_bytes",
            "Space left on the filesystem NEXO writes to",
            labels=["path"],
        )
        for path in self.paths:
            try:
                usage = psutil.disk_usage(str(path))
            except OSError:
                continue
            size.add_metric([str(path)], float(usage.total))
            free.add_metric([str(path)], float(usage.free))
        yield size
        yield free


# --- installing --------------------------------------------------------------------------


@dataclass
class Installed:
    collectors: list[Collector]
    database: DatabaseCollector | None

    async def close(self) -> None:
        for collector in self.collectors:
            metrics.unregister_collector(collector)
        if self.database is not None:
            await self.database.close()


def install(
    settings: Settings,
    owner_url: URL | str | None,
    *,
    domains: Collection[str] | None = None,
) -> Installed:
    """Add the resource gauges, and the database gauges of `domains` (None: all of them;
    stock's include the ledger check, notifications' the outbox), to this process's
    `/metrics`. The database gauges use `settings.metrics_database_url`, else
    `owner_url`; without either they are left out."""
    wanted = set(ALL_DOMAINS if domains is None else domains)
    if "stock" in wanted:
        wanted.add("ledger")
    if "notifications" in wanted:
        wanted.add("shared")  # the outbox: the notifications worker relays it
    data_dir = settings.data_dir if settings.data_dir.exists() else Path("/")
    resources = ResourceCollector(paths=[data_dir])
    metrics.register_collector(resources)
    installed = Installed([resources], None)
    url = settings.metrics_database_url or owner_url
    gauges = [g for g in GAUGES if g.domain in wanted]
    if url is not None and (gauges or "ledger" in wanted):
        from nexo.database import asyncpg_url

        engine = create_async_engine(asyncpg_url(url), pool_size=1, max_overflow=1)
        database = DatabaseCollector(
            engine,
            float(settings.metrics_refresh_seconds),
            gauges,
            ledger="ledger" in wanted,
        )
        metrics.register_collector(database)
        installed.collectors.append(database)
        installed.database = database
    return installed
