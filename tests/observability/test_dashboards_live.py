"""Every Grafana panel's query answers with data: a real Prometheus (Debian's
/usr/bin/prometheus) scrapes a real `nexo serve --demo` with NEXO's own scrape config and
alert rules (pointed at loopback, every second), a scripted workload runs, then each
Prometheus query of every dashboard and every template variable is evaluated through
Prometheus' HTTP API. One that errors or returns no series fails the test; so does an
alert rule that cannot be evaluated."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.nexo.test_fresh_start import _free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
SUBSTITUTIONS = {"$__rate_interval": "1m", "$operation": ".*", "$subgraph": ".*"}

pytestmark = pytest.mark.slow


def scrape_config(target: str, rules: Path) -> dict[str, Any]:
    """NEXO's prometheus.yml with the router job pointed at `target`: same job name and
    relabelling, every second, with NEXO's alert rules; no Alertmanager, no other jobs
    (in embedded mode the router's /metrics is the only NEXO endpoint)."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "nexo-router")
    job.pop("dns_sd_configs")
    job["static_configs"] = [{"targets": [target]}]
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules / "*.yml")],
        "scrape_configs": [job],
    }


def _ready(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready: {log.read_text()[-4000:]}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def nexo() -> Iterator[str]:
    """`nexo serve --demo` on a fresh data dir (seeding the demo tenant takes a while on a
    busy machine), its database gauges refreshed every second, its output in a file."""
    work = Path(tempfile.mkdtemp(prefix="nexo-dashboards-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"NEXO_DATA_DIR": str(work / "data"), "NEXO_METRICS_REFRESH_SECONDS": "1"}
    log = work / "nexo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nexo", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _ready(f"{base}/ready", proc, log, 600)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def prometheus(nexo: str) -> Iterator[str]:
    if not Path(PROMETHEUS).exists():
        pytest.skip("prometheus is not installed (.ci/deploy installs Debian's)")
    work = Path(tempfile.mkdtemp(prefix="nexo-prometheus-"))
    config = work / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(scrape_config(nexo.removeprefix("http://"), DEPLOY / "prometheus" / "rules"))
    )
    port = _free_port()
    log = work / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _ready(f"{url}/-/ready", proc, log, 60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


# --- the workload ------------------------------------------------------------------------


class Client:
    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        self.token: str | None = None

    def __call__(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"query": query, "variables": variables or {}, **kw}
        return self.http.post("/graphql", json=body, headers=headers).json()

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self(query, variables)
        assert "errors" not in answer, answer
        found: dict[str, Any] = answer["data"]
        for payload in found.values():
            if isinstance(payload, dict) and payload.get("errors"):
                raise AssertionError(payload["errors"])
        return found


def workload(base: str) -> None:
    """Something of everything the dashboards show: logins (good and bad), a sign-up and
    a refresh; customers, contacts, deals won, lost and open; an order confirmed,
    delivered, invoiced and paid; a stock count; a refused, an invalid and a named
    request."""
    gql = Client(base)
    login = "mutation SignIn($i: LoginInput!) { login(input: $i) { accessToken refreshToken errors { code } } }"
    admin = {"tenant": "acme", "email": "admin@acme.example", "password": "demo-admin-pass"}
    bad = gql(login, {"i": {**admin, "password": "wrong"}})
    assert bad["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    signed = gql.data(login, {"i": admin})["login"]
    gql.token = signed["accessToken"]
    gql.data(
        "mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { accessToken errors { code } } }",
        {"i": {"refreshToken": signed["refreshToken"]}},
    )
    Client(base).data(
        "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code } } }",
        {
            "i": {
                "tenantName": f"Dash {uuid.uuid4().hex[:6]}",
                "email": "owner@dash.example",
                "password": "p" * 12,
                "name": "Owner",
            }
        },
    )

    customer = gql.data(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }",
        {"i": {"name": f"Dashboard Buyer {uuid.uuid4().hex[:6]}", "currency": "EUR"}},
    )["createCustomer"]["customer"]["id"]
    gql.data(
        "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } errors { code } } }",
        {"i": {"customerId": customer, "name": "Pat Buyer"}},
    )
    deal = (
        "mutation($i: CreateDealInput!) { createDeal(input: $i) { deal { id } errors { code } } }"
    )
    deals = [
        gql.data(deal, {"i": {"customerId": customer, "title": f"Deal {n}", "amount": "500"}})[
            "createDeal"
        ]["deal"]["id"]
        for n in range(3)
    ]
    gql.data(
        "mutation($i: DealIdInput!) { winDeal(input: $i) { errors { code } } }",
        {"i": {"id": deals[0]}},
    )
    gql.data(
        "mutation($i: LoseInput!) { loseDeal(input: $i) { errors { code } } }",
        {"i": {"id": deals[1], "reason": "Too expensive"}},
    )

    stock = gql.data(
        """{ products(first: 50) { edges { node { id type stockLevels {
               available location { id kind warehouse { id } } } } } } }"""
    )["products"]["edges"]
    product, location, warehouse = next(
        (p["node"]["id"], level["location"]["id"], level["location"]["warehouse"]["id"])
        for p in stock
        if p["node"]["type"] == "STOCKABLE"
        for level in p["node"]["stockLevels"]
        if level["location"]["kind"] == "STOCK" and float(level["available"]) >= 5
    )
    line = {"productId": product, "quantity": "2"}
    order = gql.data(
        "mutation($i: CreateSalesOrderInput!) {"
        " createSalesOrder(input: $i) { order { id } errors { code } } }",
        {"i": {"customerId": customer, "warehouseId": warehouse, "lines": [line]}},
    )["createSalesOrder"]["order"]["id"]
    by_id = {"i": {"id": order}}
    gql.data(
        "mutation($i: ConfirmSalesOrderInput!) { confirmSalesOrder(input: $i) { errors { code } } }",
        by_id,
    )
    gql.data(
        "mutation($i: DeliverSalesOrderInput!) { deliverSalesOrder(input: $i) { errors { code } } }",
        by_id,
    )
    invoice = gql.data(
        "mutation($i: SalesOrderIdInput!) { invoiceSalesOrder(input: $i) { invoice { id total { amount } } errors { code } } }",
        by_id,
    )["invoiceSalesOrder"]["invoice"]
    gql.data(
        "mutation($i: RegisterPaymentInput!) { registerPayment(input: $i) { errors { code } } }",
        {"i": {"invoiceId": invoice["id"], "amount": "1.00"}},
    )
    # Count one more than is on hand: a count below what open orders reserve is refused,
    # and the demo's reservations at this location are not known in advance.
    levels = gql.data(
        """query($id: ID!) { product(id: $id) { stockLevels { onHand location { id } } } }""",
        {"id": product},
    )["product"]["stockLevels"]
    on_hand = next(Decimal(lv["onHand"]) for lv in levels if lv["location"]["id"] == location)
    gql.data(
        "mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) { errors { code } } }",
        {
            "i": {
                "locationId": location,
                "lines": [{"productId": product, "countedQuantity": str(on_hand + 1)}],
            }
        },
    )

    purchase_and_produce(gql, product, warehouse)

    aliases = " ".join(f"a{i}: __typename" for i in range(40))
    refused = gql(f"{{ {aliases} }}")
    assert refused["errors"][0]["extensions"]["limit"] == "aliases"
    assert "errors" in gql("{ noSuchField }")
    for _ in range(5):
        gql.data("query Dashboard { me { name } customers(first: 3) { totalCount } }")


def purchase_and_produce(gql: Client, product: str, warehouse: str) -> None:
    """A purchase order confirmed, received and billed; a production order confirmed
    (released) and cancelled: the purchasing and production counters move."""
    supplier = next(
        e["node"]["id"]
        for e in gql.data("{ suppliers(first: 20) { edges { node { id archived currency } } } }")[
            "suppliers"
        ]["edges"]
        if not e["node"]["archived"] and e["node"]["currency"] == "EUR"
    )
    order = gql.data(
        "mutation($i: CreatePurchaseOrderInput!) {"
        " createPurchaseOrder(input: $i) { order { id } errors { code } } }",
        {
            "i": {
                "supplierId": supplier,
                "warehouseId": warehouse,
                "lines": [{"productId": product, "quantity": "1", "unitCost": "3.00"}],
            }
        },
    )["createPurchaseOrder"]["order"]["id"]
    by_id = {"i": {"id": order}}
    gql.data(
        "mutation($i: ConfirmPurchaseOrderInput!) {"
        " confirmPurchaseOrder(input: $i) { errors { code } } }",
        by_id,
    )
    gql.data(
        "mutation($i: ReceivePurchaseOrderInput!) {"
        " receivePurchaseOrder(input: $i) { errors { code } } }",
        by_id,
    )
    gql.data(
        "mutation($i: CreateVendorBillInput!) { createVendorBill(input: $i) { errors { code } } }",
        {"i": {"orderId": order, "supplierReference": f"DASH-{uuid.uuid4().hex[:6]}"}},
    )
    active = "{ billsOfMaterials(first: 1, filter: {active: true, kind: NORMAL}) { edges { node { product { id } } } } }"
    bom = gql.data(active)["billsOfMaterials"]["edges"][0]["node"]["product"]["id"]
    made = gql.data(
        "mutation($i: CreateProductionOrderInput!) {"
        " createProductionOrder(input: $i) { productionOrder { id } errors { code } } }",
        {"i": {"productId": bom, "quantity": "1", "warehouseId": warehouse}},
    )["createProductionOrder"]["productionOrder"]["id"]
    gql.data(
        "mutation($i: ConfirmProductionOrderInput!) {"
        " confirmProductionOrder(input: $i) { errors { code } } }",
        {"i": {"id": made, "allowShortage": True}},
    )
    gql.data(
        "mutation($i: IdInput!) { cancelProductionOrder(input: $i) { errors { code } } }",
        {"i": {"id": made}},
    )


# --- the checks --------------------------------------------------------------------------


def _query(prometheus: str, expr: str) -> list[Any]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=30).json()
    assert answer["status"] == "success", (expr, answer)
    result: list[Any] = answer["data"]["result"]
    return result


def _substitute(expr: str) -> str:
    for variable, value in SUBSTITUTIONS.items():
        expr = expr.replace(variable, value)
    return expr


def _prometheus_targets() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            if panel.get("type") == "row" or panel["datasource"]["type"] != "prometheus":
                continue
            for target in panel["targets"]:
                found.append((board["title"], panel["title"], target["expr"]))
    return found


def _variables() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for variable in board["templating"]["list"]:
            found.append((board["title"], variable["definition"]))
    return found


def _wait_for(prometheus: str, expr: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not _query(prometheus, expr):
        assert time.monotonic() < deadline, f"no data for {expr}"
        time.sleep(1)


def test_every_panel_query_returns_series(nexo: str, prometheus: str) -> None:
    _wait_for(prometheus, 'up{job="nexo-router"} == 1')
    started = time.monotonic()
    workload(nexo)
    workload_seconds = time.monotonic() - started
    # The counters' rates need two scrapes after the workload; the database gauges a
    # refresh (every second here) and a scrape.
    _wait_for(prometheus, "nexo_sales_payments_total")
    _wait_for(prometheus, 'nexo_sales_open_receivables{currency="EUR"}')
    time.sleep(3)

    targets = _prometheus_targets()
    assert len(targets) >= 60
    empty = [
        f"{board} / {panel}: {expr}"
        for board, panel, expr in targets
        if not _query(prometheus, _substitute(expr))
    ]
    assert empty == [], "panels without data:\n" + "\n".join(empty)

    for board, definition in _variables():
        metric, label = definition.removeprefix("label_values(").removesuffix(")").split(", ")
        values = httpx.get(
            f"{prometheus}/api/v1/label/{label}/values", params={"match[]": metric}, timeout=30
        ).json()["data"]
        assert values, f"{board}: {definition} has no values"

    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=30).json()["data"]["groups"]
    unhealthy = [
        (rule["name"], rule.get("lastError"))
        for group in rules
        for rule in group["rules"]
        if rule["health"] == "err"
    ]
    assert len([r for g in rules for r in g["rules"]]) >= 15
    assert unhealthy == []
    print(f"workload {workload_seconds:.1f} s, {len(targets)} panel queries")
