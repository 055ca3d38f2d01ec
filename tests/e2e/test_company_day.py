"""Issue 12 acceptance: a small manufacturer's working day, through the router over real
HTTP on a fresh data dir (no demo data): receive at a cost, transfer, scrap, a count
below the reserved quantity, a quotation refused over the credit limit then confirmed,
a partial delivery with a backorder, goods that go to the oldest backorder, the rest
delivered, invoices, a partial payment, a damaged return whose credit note pays another
invoice, and the receivables aging. Every level, cost, value, amount due and analytics
figure is asserted exactly; `nexo stock verify` runs against the same database at the end.

The steps depend on each other, so they are one test (a failing step names itself in its
comment); the figures of the closed order, a known bug, are a second test on its end state."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.nexo.test_fresh_start import _free_port

pytestmark = pytest.mark.slow

D = Decimal
ZERO = D(0)


@dataclass
class Day:
    base: str
    data_dir: Path
    http: httpx.Client
    token: str

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def ok(self, mutation: str, field: str, input: dict[str, Any]) -> dict[str, Any]:
        """Run `mutation` with `input`; its payload, which must have no errors."""
        payload: dict[str, Any] = self(mutation, {"input": input})[field]
        assert payload["errors"] == [], payload["errors"]
        return payload


@contextmanager
def serving() -> Iterator[tuple[str, Path]]:
    """`nexo serve` on a fresh data dir, its output in a file: a pipe nobody reads fills
    up over a day's requests and blocks the server. SIGTERM afterwards."""
    # Not pytest's tmp_path: as root the embedded PostgreSQL runs as another user that
    # must traverse the path, and pytest keeps its base folder 0700.
    work = Path(tempfile.mkdtemp(prefix="nexo-day-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["NEXO_DATA_DIR"] = str(work / "data")
    log = work / "nexo.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nexo", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.3)
        yield base, work / "data"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def day() -> Iterator[Day]:
    with serving() as (base, data_dir), httpx.Client(base_url=base, timeout=60) as http:
        signed = http.post(
            "/graphql",
            json={
                "query": "mutation($i: SignUpInput!) { signUp(input: $i) "
                "{ accessToken errors { code message } } }",
                "variables": {
                    "i": {
                        "tenantName": "Day Works",
                        "email": "owner@day.example",
                        "password": "a-long-password",
                        "name": "Owner",
                    }
                },
            },
        ).json()["data"]["signUp"]
        assert signed["errors"] == [], signed
        yield Day(base, data_dir, http, signed["accessToken"])


def dec(value: str | None) -> Decimal:
    assert value is not None
    return D(value)


# --- operations ---------------------------------------------------------------------------

ERR = "errors { field code message }"

WAREHOUSE = f"""mutation($input: CreateWarehouseInput!) {{ createWarehouse(input: $input) {{
  warehouse {{ id locations {{ id kind }} }} {ERR} }} }}"""
PRODUCT = f"""mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{
  product {{ id }} {ERR} }} }}"""
CUSTOMER = f"""mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{
  customer {{ id }} {ERR} }} }}"""
UPDATE_CUSTOMER = f"""mutation($input: UpdateCustomerInput!) {{ updateCustomer(input: $input) {{
  customer {{ id creditLimit {{ amount }} }} {ERR} }} }}"""
RECEIVE = f"""mutation($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{
  receipt {{ id moves {{ quantity unitCost }} }} {ERR} }} }}"""
TRANSFER = f"""mutation($input: TransferStockInput!) {{ transferStock(input: $input) {{
  moves {{ quantity }} {ERR} }} }}"""
COUNT = f"""mutation($input: AdjustInventoryInput!) {{ adjustInventory(input: $input) {{
  moves {{ quantity unitCost reason }}
  brokenReservations {{ demandId demandType lost }} {ERR} }} }}"""
ORDER_FIELDS = """id status invoiceStatus untaxed { amount } total { amount }
  lines { id quantity deliveredQuantity backorderedQuantity returnedQuantity invoicedQuantity }"""
CREATE_ORDER = f"""mutation($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{
  order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
CONFIRM = f"""mutation($input: ConfirmSalesOrderInput!) {{ confirmSalesOrder(input: $input) {{
  order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
DELIVER = f"""mutation($input: DeliverSalesOrderInput!) {{ deliverSalesOrder(input: $input) {{
  order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
CLOSE = f"""mutation($input: SalesOrderIdInput!) {{ closeSalesOrder(input: $input) {{
  order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
INVOICE_FIELDS = "id kind total { amount } amountPaid { amount } amountDue { amount } status"
INVOICE = f"""mutation($input: SalesOrderIdInput!) {{ invoiceSalesOrder(input: $input) {{
  invoice {{ {INVOICE_FIELDS} invoiceDate dueDate }} {ERR} }} }}"""
PAY = f"""mutation($input: RegisterPaymentInput!) {{ registerPayment(input: $input) {{
  invoice {{ {INVOICE_FIELDS} }} {ERR} }} }}"""
RETURN = f"""mutation($input: ReturnSalesOrderInput!) {{ returnSalesOrder(input: $input) {{
  creditNote {{ {INVOICE_FIELDS} }} order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
APPLY = f"""mutation($input: ApplyCreditNoteInput!) {{ applyCreditNote(input: $input) {{
  creditNote {{ {INVOICE_FIELDS} }} invoice {{ {INVOICE_FIELDS} }} {ERR} }} }}"""

STOCK = """query($id: ID!) { product(id: $id) { cost
  stock { onHand available reserved backordered scrap } } }"""
VALUATION = "{ stockValuation { totalValue lines { quantity unitCost value } } }"
ORDER = f"query($id: ID!) {{ salesOrder(id: $id) {{ {ORDER_FIELDS} }} }}"
INVOICE_BY_ID = f"query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} }} }}"
AGING_BUCKETS = "current { amount } days1To30 { amount } days31To60 { amount } " + (
    "days61To90 { amount } over90 { amount } total { amount }"
)
AGING = f"""query($asOf: Date) {{ receivablesAging(asOf: $asOf) {{
  total {{ {AGING_BUCKETS} }} customers {{ customer {{ id }} buckets {{ {AGING_BUCKETS} }} }} }} }}"""
ANALYTICS = """query($input: SalesAnalyticsInput!) { salesAnalytics(input: $input) {
  orderCount quantity revenue { amount } averageOrderValue { amount } customer { id } } }"""
LIFETIME = "query($id: ID!) { customer(id: $id) { lifetimeValue { amount } orderCount } }"


# --- reading the state ----------------------------------------------------------------------


def levels(day: Day, product: str) -> dict[str, Decimal]:
    """on hand, available, reserved, backordered, scrap and the average cost."""
    found = day(STOCK, {"id": product})["product"]
    return {k: dec(v) for k, v in found["stock"].items()} | {"cost": dec(found["cost"])}


def expect(
    onHand: str, available: str, reserved: str, backordered: str, scrap: str, cost: str
) -> dict[str, Decimal]:
    return {
        "onHand": D(onHand),
        "available": D(available),
        "reserved": D(reserved),
        "backordered": D(backordered),
        "scrap": D(scrap),
        "cost": D(cost),
    }


def valuation(day: Day) -> Decimal:
    found = day(VALUATION)["stockValuation"]
    total = dec(found["totalValue"])
    assert sum((dec(ln["value"]) for ln in found["lines"]), ZERO) == total
    return total


def lines(day: Day, order: str) -> list[tuple[Decimal, ...]]:
    """(quantity, delivered, backordered, returned, invoiced) per line."""
    found = day(ORDER, {"id": order})["salesOrder"]
    keys = (
        "quantity",
        "deliveredQuantity",
        "backorderedQuantity",
        "returnedQuantity",
        "invoicedQuantity",
    )
    return [tuple(dec(ln[k]) for k in keys) for ln in found["lines"]]


def due(day: Day, invoice: str) -> tuple[Decimal, Decimal, Decimal]:
    """(total, paid, due) of an invoice."""
    found = day(INVOICE_BY_ID, {"id": invoice})["invoice"]
    return (
        dec(found["total"]["amount"]),
        dec(found["amountPaid"]["amount"]),
        dec(found["amountDue"]["amount"]),
    )


def buckets(found: dict[str, Any]) -> dict[str, Decimal]:
    return {k: dec(v["amount"]) for k, v in found.items()}


# --- the day ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def the_day() -> dict[str, Any]:
    """What the day leaves for the checks after it: ids, and `done` once it finished."""
    return {}


def test_a_working_day(day: Day, the_day: dict[str, Any]) -> None:
    today = dt.date.today()

    # Morning: two warehouses, a product at 20.00, two customers (Acme with a limit).
    main = day.ok(WAREHOUSE, "createWarehouse", {"code": "MAIN", "name": "Main"})["warehouse"]
    east = day.ok(WAREHOUSE, "createWarehouse", {"code": "EAST", "name": "East"})["warehouse"]
    loc = {
        (w, ln["kind"]): ln["id"] for w, wh in (("M", main), ("E", east)) for ln in wh["locations"]
    }
    widget = day.ok(
        PRODUCT, "createProduct", {"sku": "WID-1", "name": "Widget", "salesPrice": "20.00"}
    )["product"]["id"]
    acme = day.ok(
        CUSTOMER,
        "createCustomer",
        {"name": "Acme GmbH", "currency": "EUR", "creditLimit": "2000", "paymentTermsDays": 30},
    )["customer"]["id"]
    beta = day.ok(CUSTOMER, "createCustomer", {"name": "Beta Ltd", "currency": "EUR"})["customer"][
        "id"
    ]

    # 1. Receive at cost: 100 @ 10 and 50 @ 13 average to 11 (1650 / 150).
    for ref, qty, cost in (("DN-1", "100", "10.00"), ("DN-2", "50", "13.00")):
        day.ok(
            RECEIVE,
            "receiveStock",
            {
                "warehouseId": main["id"],
                "reference": ref,
                "lines": [{"productId": widget, "quantity": qty, "unitCost": cost}],
            },
        )
    assert levels(day, widget) == expect("150", "150", "0", "0", "0", "11")
    assert valuation(day) == D("1650")

    # 2. Transfer 10 to the East warehouse: nothing changes in total.
    day.ok(
        TRANSFER,
        "transferStock",
        {
            "productId": widget,
            "quantity": "10",
            "fromLocationId": loc["M", "STOCK"],
            "toLocationId": loc["E", "STOCK"],
        },
    )
    assert levels(day, widget) == expect("150", "150", "0", "0", "0", "11")

    # 3. Scrap 5: neither on hand, available nor valued any more.
    day.ok(
        TRANSFER,
        "transferStock",
        {
            "productId": widget,
            "quantity": "5",
            "fromLocationId": loc["M", "STOCK"],
            "toLocationId": loc["M", "SCRAP"],
        },
    )
    assert levels(day, widget) == expect("145", "145", "0", "0", "5", "11")
    assert valuation(day) == D("1595")

    # Probe: a receipt with a negative cost is a typed error and posts nothing.
    refused = day(
        RECEIVE,
        {
            "input": {
                "warehouseId": main["id"],
                "reference": "DN-BAD",
                "lines": [{"productId": widget, "quantity": "5", "unitCost": "-1"}],
            }
        },
    )["receiveStock"]
    assert refused["receipt"] is None
    assert [e["field"] for e in refused["errors"]] == ["input.lines.0.unitCost"], refused
    assert levels(day, widget) == expect("145", "145", "0", "0", "5", "11")
    assert valuation(day) == D("1595")

    # 4. Beta orders the 10 in East; a count finds only 7 there: the count posts and Beta's
    # order loses 3 of its reservation, which becomes a backorder.
    b1 = day.ok(
        CREATE_ORDER,
        "createSalesOrder",
        {"customerId": beta, "warehouseId": east["id"], "lines": [line(widget, "10")]},
    )["order"]
    day.ok(CONFIRM, "confirmSalesOrder", {"id": b1["id"]})
    assert levels(day, widget) == expect("145", "135", "10", "0", "5", "11")
    counted = day.ok(
        COUNT,
        "adjustInventory",
        {
            "locationId": loc["E", "STOCK"],
            "reason": "cycle count",
            "lines": [{"productId": widget, "countedQuantity": "7"}],
        },
    )
    assert [(dec(m["quantity"]), dec(m["unitCost"]), m["reason"]) for m in counted["moves"]] == [
        (D(3), D(11), "cycle count")
    ]
    assert [
        (b["demandId"], b["demandType"], dec(b["lost"])) for b in counted["brokenReservations"]
    ] == [(b1["id"], "SalesOrder", D(3))]
    assert lines(day, b1["id"]) == [(D(10), ZERO, D(3), ZERO, ZERO)]
    assert levels(day, widget) == expect("142", "135", "7", "3", "5", "11")
    assert valuation(day) == D("1562")

    # 5. Acme's quotation for 145 (2900) is over its 2000 limit; at 5000 it confirms and
    # reserves the 135 Main has, backordering 10.
    a = day.ok(
        CREATE_ORDER,
        "createSalesOrder",
        {"customerId": acme, "warehouseId": main["id"], "lines": [line(widget, "145")]},
    )["order"]
    assert a["status"] == "QUOTATION"
    assert dec(a["untaxed"]["amount"]) == D("2900")
    refused = day(CONFIRM, {"input": {"id": a["id"], "allowBackorder": True}})["confirmSalesOrder"]
    assert [e["code"] for e in refused["errors"]] == ["CREDIT_LIMIT_EXCEEDED"], refused
    assert day(ORDER, {"id": a["id"]})["salesOrder"]["status"] == "QUOTATION"
    assert levels(day, widget) == expect("142", "135", "7", "3", "5", "11")
    day.ok(UPDATE_CUSTOMER, "updateCustomer", {"id": acme, "creditLimit": "5000"})
    day.ok(CONFIRM, "confirmSalesOrder", {"id": a["id"], "allowBackorder": True})
    assert lines(day, a["id"]) == [(D(145), ZERO, D(10), ZERO, ZERO)]
    assert levels(day, widget) == expect("142", "0", "142", "13", "5", "11")

    # 6. Deliver without lines ships the reserved 135; the 10 stay backordered.
    shipped = day.ok(DELIVER, "deliverSalesOrder", {"id": a["id"]})["order"]
    assert shipped["status"] == "PARTIALLY_DELIVERED"
    assert lines(day, a["id"]) == [(D(145), D(135), D(10), ZERO, ZERO)]
    assert levels(day, widget) == expect("7", "0", "7", "13", "5", "11")
    assert valuation(day) == D("77")
    inv1 = day.ok(INVOICE, "invoiceSalesOrder", {"id": a["id"]})["invoice"]
    assert inv1["dueDate"] == (today + dt.timedelta(days=30)).isoformat()
    assert due(day, inv1["id"]) == (D("2700"), ZERO, D("2700"))
    assert lines(day, a["id"]) == [(D(145), D(135), D(10), ZERO, D(135))]

    # 7. Beta orders 8 more from Main, all backordered behind Acme's older 10.
    c = day.ok(
        CREATE_ORDER,
        "createSalesOrder",
        {"customerId": beta, "warehouseId": main["id"], "lines": [line(widget, "8")]},
    )["order"]
    day.ok(CONFIRM, "confirmSalesOrder", {"id": c["id"], "allowBackorder": True})
    assert lines(day, c["id"]) == [(D(8), ZERO, D(8), ZERO, ZERO)]
    assert levels(day, widget) == expect("7", "0", "7", "21", "5", "11")

    # 8. 13 arrive at 15: the older order takes its 10, the newer the last 3. The average
    # is (7 x 11 + 13 x 15) / 20 = 13.6.
    day.ok(
        RECEIVE,
        "receiveStock",
        {
            "warehouseId": main["id"],
            "reference": "DN-3",
            "lines": [{"productId": widget, "quantity": "13", "unitCost": "15"}],
        },
    )
    assert lines(day, a["id"]) == [(D(145), D(135), ZERO, ZERO, D(135))]
    assert lines(day, c["id"]) == [(D(8), ZERO, D(5), ZERO, ZERO)]
    assert levels(day, widget) == expect("20", "0", "20", "8", "5", "13.6")
    assert valuation(day) == D("272")

    # 9. The rest of Acme's order ships and is invoiced; Beta's East order ships what is
    # reserved and closes the rest.
    done = day.ok(DELIVER, "deliverSalesOrder", {"id": a["id"]})["order"]
    assert done["status"] == "DELIVERED"
    inv2 = day.ok(INVOICE, "invoiceSalesOrder", {"id": a["id"]})["invoice"]
    assert due(day, inv2["id"]) == (D("200"), ZERO, D("200"))
    day.ok(DELIVER, "deliverSalesOrder", {"id": b1["id"]})
    day.ok(CLOSE, "closeSalesOrder", {"id": b1["id"]})
    assert lines(day, b1["id"]) == [(D(10), D(7), ZERO, ZERO, ZERO)]
    inv_b = day.ok(INVOICE, "invoiceSalesOrder", {"id": b1["id"]})["invoice"]
    assert due(day, inv_b["id"]) == (D("140"), ZERO, D("140"))
    assert levels(day, widget) == expect("3", "0", "3", "5", "5", "13.6")
    assert valuation(day) == D("40.8")

    # Probe: a payment dated before its invoice is a typed error and books nothing.
    refused = day(
        PAY,
        {
            "input": {
                "invoiceId": inv1["id"],
                "amount": "100",
                "date": (today - dt.timedelta(days=1)).isoformat(),
            }
        },
    )["registerPayment"]
    assert [e["field"] for e in refused["errors"]] == ["input.date"], refused
    assert due(day, inv1["id"]) == (D("2700"), ZERO, D("2700"))

    # 10. A partial payment of 1000 on the first invoice.
    paid = day.ok(PAY, "registerPayment", {"invoiceId": inv1["id"], "amount": "1000"})
    assert paid["invoice"]["status"] == "POSTED"  # PAID once nothing is due
    assert due(day, inv1["id"]) == (D("2700"), D("1000"), D("1700"))

    # 11. Five come back bent in transit: to SCRAP (not sellable, not valued); the credit
    # note of 100 pays half the second invoice.
    [a_line] = day(ORDER, {"id": a["id"]})["salesOrder"]["lines"]
    returned = day.ok(
        RETURN,
        "returnSalesOrder",
        {
            "orderId": a["id"],
            "reason": "bent in transit",
            "condition": "DAMAGED",
            "lines": [{"lineId": a_line["id"], "quantity": "5"}],
        },
    )
    credit = returned["creditNote"]
    assert credit["kind"] == "CREDIT_NOTE"
    assert dec(credit["total"]["amount"]) == D("100")
    assert lines(day, a["id"]) == [(D(145), D(145), ZERO, D(5), D(140))]
    assert levels(day, widget) == expect("3", "0", "3", "5", "10", "13.6")
    assert valuation(day) == D("40.8")
    applied = day.ok(
        APPLY,
        "applyCreditNote",
        {"creditNoteId": credit["id"], "invoiceId": inv2["id"], "amount": "100"},
    )
    assert dec(applied["creditNote"]["amountDue"]["amount"]) == ZERO
    assert due(day, inv2["id"]) == (D("200"), D("100"), D("100"))
    assert due(day, inv1["id"]) == (D("2700"), D("1000"), D("1700"))

    # 12. Aging: today everything is current; 45 days on, 15 days past due.
    aging = day(AGING, {"asOf": today.isoformat()})["receivablesAging"]
    assert buckets(aging["total"]) == bucket_row(current="1940")
    later = day(AGING, {"asOf": (today + dt.timedelta(days=45)).isoformat()})["receivablesAging"]
    assert buckets(later["total"]) == bucket_row(days1To30="1940")
    assert [(row["customer"]["id"], buckets(row["buckets"])) for row in later["customers"]] == [
        (acme, bucket_row(days1To30="1800")),
        (beta, bucket_row(days1To30="140")),
    ]

    # 13. Analytics and lifetime value net of the credit note: Acme booked 2900, less the
    # 100 returned. (Beta's figures, which depend on the closed order: next test.)
    span = {"from": today.isoformat(), "to": today.isoformat()}
    assert analytics_by_customer(day, span)[acme] == (1, D("140"), D("2800"))
    assert dec(day(LIFETIME, {"id": acme})["customer"]["lifetimeValue"]["amount"]) == D("2800")
    the_day.update(span=span, acme=acme, beta=beta)

    # 14. The ledger agrees with every level, checked by the CLI on the same database.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["NEXO_DATA_DIR"] = str(day.data_dir)
    verify = subprocess.run(
        [sys.executable, "-m", "nexo", "stock", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "every level equals the ledger" in verify.stdout
    the_day["done"] = True


def analytics_by_customer(day: Day, span: dict[str, str]) -> dict[str, tuple[Any, ...]]:
    """customer id -> (orders, quantity, revenue) of the day's booked sales."""
    rows = day(ANALYTICS, {"input": span | {"groupBy": "CUSTOMER"}})["salesAnalytics"]
    return {
        r["customer"]["id"]: (r["orderCount"], dec(r["quantity"]), dec(r["revenue"]["amount"]))
        for r in rows
    }


def test_a_closed_order_books_only_what_it_delivered(day: Day, the_day: dict[str, Any]) -> None:
    """Beta's East order was closed after delivering 7 of 10: the 3 it cancelled are not
    sales. Booked today: Acme 140 units for 2800, Beta 7 + 8 = 15 units for 140 + 160."""
    if not the_day.get("done"):
        pytest.skip("the day did not finish")
    span, acme, beta = the_day["span"], the_day["acme"], the_day["beta"]
    [total] = day(ANALYTICS, {"input": span | {"groupBy": "NONE"}})["salesAnalytics"]
    assert (total["orderCount"], dec(total["quantity"]), dec(total["revenue"]["amount"])) == (
        3,
        D("155"),
        D("3100"),
    )
    assert analytics_by_customer(day, span) == {
        acme: (1, D("140"), D("2800")),
        beta: (2, D("15"), D("300")),
    }
    assert dec(day(LIFETIME, {"id": beta})["customer"]["lifetimeValue"]["amount"]) == D("300")


def line(product: str, quantity: str) -> dict[str, str]:
    return {"productId": product, "quantity": quantity}


def bucket_row(**amounts: str) -> dict[str, Decimal]:
    names = ("current", "days1To30", "days31To60", "days61To90", "over90")
    row = {name: D(amounts.get(name, "0")) for name in names}
    return row | {"total": sum(row.values(), ZERO)}
