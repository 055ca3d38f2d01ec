"""NEXO's Grafana dashboards, written as code: `python deploy/grafana/dashboards.py` writes
`deploy/grafana/dashboards/*.json` (provisioned by deploy/grafana/provisioning/). A test
fails when the JSON files are stale, and another evaluates every panel's query against a
real Prometheus scraping a real `nexo serve` (tests/observability/test_dashboards_live.py).

Queries that aggregate a database gauge take `max` over the processes that export it
(every replica computes the same figure); counters are summed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
LOKI = {"type": "loki", "uid": "loki"}
RATE = "$__rate_interval"
NEXO = 'job=~"nexo-.*"'


@dataclass
class Target:
    expr: str
    legend: str = ""


@dataclass
class Panel:
    title: str
    targets: list[Target]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 12
    height: int = 8
    description: str = ""
    stack: bool = False
    datasource: dict[str, str] = field(default_factory=lambda: PROMETHEUS)


@dataclass
class Row:
    title: str
    panels: list[Panel]
    repeat: str | None = None


def t(expr: str, legend: str = "") -> Target:
    return Target(" ".join(expr.split()), legend)


def _panel(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "datasource": panel.datasource,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": panel.datasource,
                "expr": target.expr,
                **({"legendFormat": target.legend} if target.legend else {}),
            }
            for i, target in enumerate(panel.targets)
        ],
    }
    if panel.description:
        out["description"] = panel.description
    if panel.kind == "logs":
        out["options"] = {"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"}
        return out
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "stacking": {"mode": "normal" if panel.stack else "none"},
            "fillOpacity": 20 if panel.stack else 5,
        }
        out["options"] = {
            "legend": {"displayMode": "list", "placement": "bottom"},
            "tooltip": {"mode": "multi"},
        }
    else:
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    out["fieldConfig"] = {"defaults": defaults, "overrides": []}
    return out


def dashboard(
    uid: str,
    title: str,
    rows: list[Row],
    *,
    description: str,
    variables: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    pid, y = 1, 0
    for row in rows:
        header: dict[str, Any] = {
            "id": pid,
            "type": "row",
            "title": row.title,
            "collapsed": False,
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
            "panels": [],
        }
        if row.repeat:
            header["repeat"] = row.repeat
        panels.append(header)
        pid, y, x, tallest = pid + 1, y + 1, 0, 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y, tallest = 0, y + tallest, 0
            panels.append(_panel(panel, pid, x, y))
            pid, x, tallest = pid + 1, x + panel.width, max(tallest, panel.height)
        y += tallest
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["nexo"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "panels": panels,
        "templating": {"list": variables or []},
        "annotations": {"list": []},
        "links": [{"title": "NEXO", "type": "dashboards", "tags": ["nexo"], "asDropdown": True}],
    }


def _variable(name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": PROMETHEUS,
        "query": {"query": query, "refId": "variable"},
        "definition": query,
        "refresh": 2,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"},
        "sort": 1,
    }


def rate(metric: str, sel: str = "") -> str:
    return f"rate({metric}{{{sel}}}[{RATE}])" if sel else f"rate({metric}[{RATE}])"


def srate(metric: str, by: str = "", sel: str = "") -> str:
    """The summed per-second rate of a counter."""
    return f"sum by ({by}) ({rate(metric, sel)})" if by else f"sum({rate(metric, sel)})"


def quantile(q: float, histogram: str, by: str = "", sel: str = "") -> str:
    groups = f"{by}, le" if by else "le"
    return f"histogram_quantile({q}, sum by ({groups}) ({rate(histogram + '_bucket', sel)}))"


def zero_or(expr: str, by: str, base: str) -> str:
    """`expr`, with 0 for every `by` group of `base` that it has no series for."""
    return f"({expr}) or (sum by ({by}) ({base}) * 0)"


def per_hour(metric: str, by: str = "") -> str:
    return f"{srate(metric, by)} * 3600"


def gauge(metric: str, by: str = "") -> str:
    """A database gauge: the same in every process that exports it, so max, then sum."""
    if not by:
        return f"max({metric})"
    return f"sum by ({by}) (max without (instance, job, service, subgraph) ({metric}))"


def stat(title: str, expr: str, unit: str = "short", **kw: Any) -> Panel:
    return Panel(title, [t(expr)], unit=unit, kind="stat", width=4, height=4, **kw)


# --- System overview ------------------------------------------------------------------

REQUESTS = "nexo_router_requests_total"
LATENCY = "nexo_router_request_seconds"
FETCH = "nexo_router_subgraph_fetch_seconds"
HTTP = "nexo_http_requests_total"


def overview() -> dict[str, Any]:
    five_xx = zero_or(srate(HTTP, "service", 'status=~"5.."'), "service", rate(HTTP))
    failed = zero_or(srate(REQUESTS, sel='outcome!="ok"'), "", rate(REQUESTS))
    return dashboard(
        "nexo-overview",
        "NEXO — System overview",
        [
            Row(
                "Health",
                [
                    stat("Targets up", f"sum(up{{{NEXO}}})"),
                    stat("Targets down", f"sum(1 - up{{{NEXO}}})"),
                    stat("Alerts firing", 'count(ALERTS{alertstate="firing"}) or vector(0)'),
                    stat("GraphQL requests/s", srate(REQUESTS), "reqps"),
                    stat("Router p95", quantile(0.95, LATENCY), "s"),
                    stat(
                        "Failed requests",
                        f"{failed} / {srate(REQUESTS)}",
                        "percentunit",
                        description="Requests whose outcome is not ok (see the Router board).",
                    ),
                ],
            ),
            Row(
                "Traffic",
                [
                    Panel(
                        "GraphQL requests/s by outcome",
                        [t(srate(REQUESTS, "outcome"), "{{outcome}}")],
                        unit="reqps",
                        stack=True,
                    ),
                    Panel(
                        "Router latency",
                        [t(quantile(q, LATENCY), f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)],
                        unit="s",
                    ),
                    Panel(
                        "HTTP 5xx ratio by service",
                        [t(f"{five_xx} / {srate(HTTP, 'service')}", "{{service}}")],
                        unit="percentunit",
                    ),
                    Panel(
                        "Subgraph fetch p95",
                        [t(quantile(0.95, FETCH, "subgraph"), "{{subgraph}}")],
                        unit="s",
                    ),
                ],
            ),
            Row(
                "Business at a glance",
                [
                    Panel(
                        "Logins/min by result",
                        [t(f"{srate('nexo_identity_logins_total', 'result')} * 60", "{{result}}")],
                        width=8,
                    ),
                    Panel(
                        "Orders confirmed/h",
                        [t(per_hour("nexo_sales_orders_confirmed_total"), "orders")],
                        width=8,
                    ),
                    Panel(
                        "Outbox: oldest event waiting",
                        [t(gauge("nexo_outbox_oldest_unpublished_age_seconds"), "oldest")],
                        unit="s",
                        width=8,
                    ),
                ],
            ),
            Row(
                "Logs",
                [
                    Panel(
                        "Errors in the logs",
                        [t('{compose_project="nexo", level=~"error|critical"} | json')],
                        kind="logs",
                        width=24,
                        height=10,
                        datasource=LOKI,
                    )
                ],
            ),
        ],
        description="Is NEXO up, fast and correct? Start here; the other NEXO boards go deeper.",
    )


# --- Router ------------------------------------------------------------------------------


HITS = srate("nexo_router_plan_cache_total", sel='result="hit"')


def router() -> dict[str, Any]:
    op = 'operation=~"$operation"'
    sub = 'subgraph=~"$subgraph"'
    fetches = srate(f"{FETCH}_count", "subgraph", sub)
    errors = zero_or(
        srate("nexo_router_subgraph_errors_total", "subgraph", sub),
        "subgraph",
        rate(f"{FETCH}_count", sub),
    )
    return dashboard(
        "nexo-router",
        "NEXO — Router",
        [
            Row(
                "Per operation",
                [
                    Panel(
                        "Requests/s by operation",
                        [t(f"topk(15, {srate(REQUESTS, 'operation', op)})", "{{operation}}")],
                        unit="reqps",
                        description="Operation names are bounded: past 100 names, `other`.",
                    ),
                    Panel(
                        "p95 latency by operation",
                        [
                            t(
                                f"topk(15, {quantile(0.95, LATENCY, 'operation', op)})",
                                "{{operation}}",
                            )
                        ],
                        unit="s",
                    ),
                    Panel(
                        "Outcomes by operation",
                        [t(srate(REQUESTS, "operation, outcome", op), "{{operation}} {{outcome}}")],
                        unit="reqps",
                        stack=True,
                    ),
                    Panel(
                        "Limit refusals/s by limit",
                        [t(srate("nexo_router_limit_refusals_total", "limit"), "{{limit}}")],
                        unit="reqps",
                    ),
                ],
            ),
            Row(
                "Per subgraph",
                [
                    Panel(
                        "Fetches/s by subgraph",
                        [t(fetches, "{{subgraph}}")],
                        unit="reqps",
                        width=8,
                    ),
                    Panel(
                        "Fetch p95 by subgraph",
                        [t(quantile(0.95, FETCH, "subgraph", sub), "{{subgraph}}")],
                        unit="s",
                        width=8,
                    ),
                    Panel(
                        "Fetch error ratio by subgraph",
                        [t(f"{errors} / {fetches}", "{{subgraph}}")],
                        unit="percentunit",
                        width=8,
                    ),
                ],
            ),
            Row(
                "Planning and connections",
                [
                    Panel(
                        "Plan cache hit ratio",
                        [
                            t(
                                f"{HITS} / {srate('nexo_router_plan_cache_total')}",
                                "hit ratio",
                            )
                        ],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "Requests in flight",
                        [t('sum(nexo_http_requests_in_flight{service="router"})', "in flight")],
                        width=8,
                    ),
                    Panel(
                        "Client disconnects/s",
                        [t(srate("nexo_router_client_disconnects_total"), "disconnects")],
                        unit="reqps",
                        width=8,
                        description="Requests whose client left; their work was cancelled.",
                    ),
                ],
            ),
        ],
        description="What the router serves, per operation and per subgraph it fetches from.",
        variables=[
            _variable("operation", "Operation", f"label_values({REQUESTS}, operation)"),
            _variable("subgraph", "Subgraph", f"label_values({FETCH}_count, subgraph)"),
        ],
    )


# --- Subgraph services -------------------------------------------------------------------

OPERATIONS = "nexo_subgraph_operations_total"
EXECUTION = "nexo_subgraph_operation_seconds"


def subgraphs() -> dict[str, Any]:
    sub = 'subgraph=~"$subgraph"'
    failed = zero_or(
        srate(OPERATIONS, "subgraph", f'{sub}, outcome!="ok"'), "subgraph", rate(OPERATIONS, sub)
    )
    return dashboard(
        "nexo-subgraphs",
        "NEXO — Subgraph services",
        [
            Row(
                "$subgraph",
                [
                    Panel(
                        "Operations/s by type and outcome",
                        [
                            t(
                                srate(OPERATIONS, "subgraph, operation_type, outcome", sub),
                                "{{subgraph}} {{operation_type}} {{outcome}}",
                            )
                        ],
                        unit="ops",
                        width=8,
                        stack=True,
                    ),
                    Panel(
                        "Execution p95 / p99",
                        [
                            t(quantile(q, EXECUTION, "subgraph", sub), f"p{int(q * 100)}")
                            for q in (0.95, 0.99)
                        ],
                        unit="s",
                        width=8,
                    ),
                    Panel(
                        "Failed operations ratio",
                        [t(f"{failed} / {srate(OPERATIONS, 'subgraph', sub)}", "{{subgraph}}")],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "As the router sees it: fetch p95",
                        [t(quantile(0.95, FETCH, "subgraph", sub), "{{subgraph}}")],
                        unit="s",
                    ),
                    Panel(
                        "As the router sees it: fetches/s",
                        [t(srate(f"{FETCH}_count", "subgraph", sub), "{{subgraph}}")],
                        unit="reqps",
                    ),
                ],
                repeat="subgraph",
            ),
        ],
        description="Each subgraph's own execution (in-process or over HTTP alike) and the"
        " router's view of it; one row per selected subgraph.",
        variables=[_variable("subgraph", "Subgraph", f"label_values({OPERATIONS}, subgraph)")],
    )


# --- Business ---------------------------------------------------------------------------


def business() -> dict[str, Any]:
    def hourly(title: str, *series: tuple[str, str, str], **kw: Any) -> Panel:
        return Panel(title, [t(per_hour(m, by), legend) for m, by, legend in series], **kw)

    return dashboard(
        "nexo-business",
        "NEXO — Business",
        [
            Row(
                "Identity",
                [
                    hourly(
                        "Logins/h by result",
                        ("nexo_identity_logins_total", "result", "{{result}}"),
                        width=8,
                    ),
                    hourly(
                        "Sign-ups and token refreshes/h",
                        ("nexo_identity_signups_total", "", "sign-ups"),
                        ("nexo_identity_token_refreshes_total", "", "refreshes"),
                        width=8,
                    ),
                    Panel(
                        "Active sessions, users, tenants",
                        [
                            t(gauge("nexo_identity_active_sessions"), "sessions"),
                            t(gauge("nexo_identity_active_users"), "users"),
                            t(gauge("nexo_identity_tenants"), "tenants"),
                        ],
                        width=8,
                    ),
                ],
            ),
            Row(
                "CRM",
                [
                    hourly(
                        "Deals/h",
                        ("nexo_crm_deals_created_total", "", "created"),
                        ("nexo_crm_deals_won_total", "", "won"),
                        ("nexo_crm_deals_lost_total", "", "lost"),
                        width=8,
                    ),
                    hourly(
                        "Customers and contacts added/h",
                        ("nexo_crm_customers_created_total", "", "customers"),
                        ("nexo_crm_contacts_created_total", "", "contacts"),
                        width=8,
                    ),
                    hourly(
                        "Won value/h by currency",
                        ("nexo_crm_deals_won_value_total", "currency", "{{currency}}"),
                        width=8,
                    ),
                    Panel(
                        "Pipeline value by stage",
                        [
                            t(
                                gauge("nexo_crm_pipeline_value", "stage, currency"),
                                "{{stage}} {{currency}}",
                            )
                        ],
                        stack=True,
                    ),
                    Panel(
                        "Open deals by stage",
                        [t(gauge("nexo_crm_open_deals", "stage"), "{{stage}}")],
                        stack=True,
                    ),
                ],
            ),
            Row(
                "Sales",
                [
                    hourly(
                        "Orders confirmed/h and their value",
                        ("nexo_sales_orders_confirmed_total", "currency", "orders {{currency}}"),
                        ("nexo_sales_orders_confirmed_value_total", "currency", "{{currency}}"),
                        width=8,
                    ),
                    hourly(
                        "Invoices issued/h and payments/h",
                        ("nexo_sales_invoices_issued_total", "kind", "{{kind}}"),
                        ("nexo_sales_payments_total", "currency", "payments {{currency}}"),
                        width=8,
                    ),
                    Panel(
                        "Receivables: open and overdue",
                        [
                            t(
                                gauge("nexo_sales_open_receivables", "currency"),
                                "open {{currency}}",
                            ),
                            t(
                                gauge("nexo_sales_overdue_receivables", "currency"),
                                "overdue {{currency}}",
                            ),
                        ],
                        width=8,
                    ),
                    Panel(
                        "Sales orders by status",
                        [t(gauge("nexo_sales_orders", "status"), "{{status}}")],
                        stack=True,
                        width=24,
                    ),
                ],
            ),
            Row(
                "Stock",
                [
                    hourly(
                        "Stock moves/h by kind",
                        ("nexo_stock_moves_total", "kind", "{{kind}}"),
                        width=8,
                        stack=True,
                    ),
                    Panel(
                        "Open low-stock alerts",
                        [t(gauge("nexo_stock_low_stock_alerts_open"), "open")],
                        width=8,
                    ),
                    Panel(
                        "Stock valuation by currency",
                        [t(gauge("nexo_stock_valuation", "currency"), "{{currency}}")],
                        width=8,
                    ),
                    Panel(
                        "Ledger differences (nexo stock verify)",
                        [t(gauge("nexo_stock_ledger_differences"))],
                        kind="stat",
                        width=24,
                        height=4,
                        description="Anything but 0 pages: docs/runbooks/stock-ledger-mismatch.md",
                    ),
                ],
            ),
            Row(
                "Purchases, production, notifications",
                [
                    Panel(
                        "Purchase orders by status",
                        [t(gauge("nexo_purchases_orders", "status"), "{{status}}")],
                        width=8,
                        stack=True,
                    ),
                    hourly(
                        "Purchase receipts/h",
                        ("nexo_purchases_receipts_recorded_total", "", "receipts"),
                        width=8,
                    ),
                    Panel(
                        "Production orders by status",
                        [t(gauge("nexo_production_orders", "status"), "{{status}}")],
                        width=8,
                        stack=True,
                    ),
                    hourly(
                        "Purchasing/h",
                        ("nexo_purchases_orders_confirmed_total", "", "orders confirmed"),
                        ("nexo_purchases_receipts_total", "", "receipts posted"),
                        ("nexo_purchases_bills_posted_total", "", "bills posted"),
                        width=8,
                    ),
                    hourly(
                        "Production orders/h entering a state",
                        ("nexo_production_order_transitions_total", "status", "{{status}}"),
                        ("nexo_production_quality_failed_total", "", "quality checks failed"),
                        width=8,
                    ),
                    hourly(
                        "Notifications/h by channel",
                        ("nexo_notifications_sent_total", "channel", "sent {{channel}}"),
                        ("nexo_notifications_failed_total", "channel", "failed {{channel}}"),
                        width=8,
                    ),
                    Panel(
                        "Notification deliveries by state",
                        [
                            t(
                                gauge("nexo_notifications_deliveries", "channel, state"),
                                "{{channel}} {{state}}",
                            )
                        ],
                    ),
                    Panel(
                        "Outbox backlog",
                        [
                            t(gauge("nexo_outbox_unpublished"), "events waiting"),
                            t(gauge("nexo_outbox_oldest_unpublished_age_seconds"), "oldest (s)"),
                        ],
                    ),
                ],
            ),
        ],
        description="What the business does through NEXO. Counters count committed changes"
        " only; gauges are one query over all tenants every NEXO_METRICS_REFRESH_SECONDS.",
    )


# --- Resource usage ---------------------------------------------------------------------


def resources() -> dict[str, Any]:
    cpu = f"rate(nexo_cpu_usage_seconds_total[{RATE}]) / nexo_cpu_limit_cores"
    memory = "nexo_memory_used_bytes / nexo_memory_limit_bytes"
    disk = "1 - nexo_filesystem_free_bytes / nexo_filesystem_size_bytes"
    gc = srate("python_gc_collections_total", "instance, generation", NEXO)
    refreshed = "max(nexo_metrics_collector_last_refresh_timestamp_seconds)"
    return dashboard(
        "nexo-resources",
        "NEXO — Resource usage",
        [
            Row(
                "Machine or container",
                [
                    Panel(
                        "CPU used of the cores available",
                        [t(f"max by (instance) ({cpu})", "{{instance}}")],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "Memory used of the limit",
                        [t(f"max by (instance) ({memory})", "{{instance}}")],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "Disk used",
                        [t(f"max by (instance, path) ({disk})", "{{instance}} {{path}}")],
                        unit="percentunit",
                        width=8,
                    ),
                ],
            ),
            Row(
                "NEXO processes",
                [
                    Panel(
                        "Process CPU",
                        [t(rate("process_cpu_seconds_total", NEXO), "{{instance}}")],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "Process memory (RSS)",
                        [t(f"process_resident_memory_bytes{{{NEXO}}}", "{{instance}}")],
                        unit="bytes",
                        width=8,
                    ),
                    Panel(
                        "Open file descriptors of the limit",
                        [
                            t(
                                f"process_open_fds{{{NEXO}}} / process_max_fds{{{NEXO}}}",
                                "{{instance}}",
                            )
                        ],
                        unit="percentunit",
                        width=8,
                    ),
                    Panel(
                        "Python GC collections/s",
                        [t(gc, "{{instance}} gen {{generation}}")],
                    ),
                    Panel(
                        "HTTP requests in flight",
                        [t("sum by (service) (nexo_http_requests_in_flight)", "{{service}}")],
                    ),
                ],
            ),
            Row(
                "Database",
                [
                    Panel(
                        "Pooled connections in use",
                        [t("sum by (instance) (nexo_db_connections_in_use)", "{{instance}}")],
                        width=8,
                    ),
                    Panel(
                        "Connections opened/s and checkouts/s",
                        [
                            t(srate("nexo_db_connections_opened_total"), "opened"),
                            t(srate("nexo_db_checkouts_total"), "checkouts"),
                        ],
                        width=8,
                    ),
                    Panel(
                        "Database gauges: refresh time and age",
                        [
                            t("max(nexo_metrics_collector_refresh_seconds)", "refresh (s)"),
                            t(f"time() - {refreshed}", "age (s)"),
                        ],
                        unit="s",
                        width=8,
                    ),
                ],
            ),
        ],
        description="CPU, memory and disk of what runs NEXO (the container's cgroup limits,"
        " or the host's), its processes, and its database connections.",
    )


BOARDS = {
    "nexo-overview.json": overview,
    "nexo-router.json": router,
    "nexo-subgraphs.json": subgraphs,
    "nexo-business.json": business,
    "nexo-resources.json": resources,
}


def render() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2) + "\n" for name, build in BOARDS.items()}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
