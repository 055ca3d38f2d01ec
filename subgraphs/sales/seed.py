"""Sales demo data for `nexo seed --demo`: about 250 orders over the last 12 months in
every state, with invoices, payments, a few returns, tax rates and exchange rates.

Deterministic for a given day (fixed random seed; dates count back from today so the
demo always shows the last 12 months) and idempotent (skips a tenant that has orders).

In bulk, so the demo seeds in seconds: the orders, lines, invoices, payments and their
outbox events are built in memory with the rules' own arithmetic (`orders.line_amounts`,
prices converted as `orders` converts them, numbers as `numbering` issues them, invoice
numbers following invoice dates) and written with one multi-row INSERT per table. Stock
moves go through stock's ledger: the open orders' reservations through `stock.reserve`,
and every receipt and delivery in one ledger plan (`History`, stock's bulk path for the
demo). The few returns go through `returns`, whose rules decide where goods go and what
is credited.

Stock availability is left as the stock seeder made it: each confirmed order's goods are
received at the product's current average cost (history the demo does not model: the
purchases that fed those sales). Delivered orders therefore leave the on-hand quantity
unchanged, and open orders reserve exactly what was received for them. Receipts and
deliveries net out in the one plan, so a product's available quantity rises only by what
open orders then reserve (the demo sells from EAST, the first warehouse by code, and the
stock demo's reorder rules watch MAIN: its low-stock alerts stay as they were).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.crm import api as crm
from subgraphs.identity import api as identity
from subgraphs.sales import deliveries, orders, rates, returns
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.models import (
    Counter,
    DocumentKind,
    ExchangeRate,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoicingStatus,
    OrderState,
    Payment,
    PaymentKind,
    ReturnCondition,
    SalesOrder,
    SalesOrderLine,
)
from subgraphs.sales.numbering import PREFIXES
from subgraphs.stock import api as stock

ORDERS = 250
DAYS = 365
_RATES = {"USD": Decimal("0.9200"), "GBP": Decimal("1.1600")}
ZERO = Decimal(0)
FOUR = Decimal("0.0001")


class Fate(StrEnum):
    """How far the demo takes an order (a few fates are invoicing or return steps)."""

    QUOTATION = "QUOTATION"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    INVOICED = "INVOICED"
    PARTLY_PAID = "PARTLY_PAID"
    PAID = "PAID"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


RECENT_DAYS = 40
RECENT_FATES = (
    Fate.QUOTATION,
    Fate.SENT,
    Fate.CONFIRMED,
    Fate.PARTIALLY_DELIVERED,
    Fate.DELIVERED,
    Fate.INVOICED,
    Fate.PARTLY_PAID,
    Fate.PAID,
)
_CONFIRMED = set(Fate) - {Fate.QUOTATION, Fate.SENT}
_DELIVERED = {Fate.DELIVERED, Fate.INVOICED, Fate.PARTLY_PAID, Fate.PAID, Fate.RETURNED}
_INVOICED = {Fate.INVOICED, Fate.PARTLY_PAID, Fate.PAID, Fate.RETURNED}


@dataclass(frozen=True, slots=True)
class _Product:
    id: uuid.UUID
    type: str
    name: str
    price: Decimal
    currency: str
    cost: Decimal


@dataclass(slots=True)
class _Order:
    """One demo order as planned: its rows, how far it goes and the days it moves on."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    fate: Fate
    terms: int
    invoice_day: dt.date | None = None
    pay_day: dt.date | None = None
    invoice: dict[str, Any] | None = None
    invoice_lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def goods(self) -> list[dict[str, Any]]:
        return [ln for ln in self.lines if ln["product_type"] == stock.ProductType.STOCKABLE]


async def _customers(session: AsyncSession, tenant: TenantId, actor: uuid.UUID) -> list[Any]:
    page = await crm.list_customers(
        session,
        tenant,
        filter=crm.CustomerFilter(status=crm.CustomerStatus.ACTIVE),
        first=100,
        after=None,
    )
    if page.rows:
        return list(page.rows)
    # No CRM demo data: the few customers sales needs, through CRM's service.
    created = []
    for i, (name, currency) in enumerate(
        [("Nordwind Handel GmbH", "EUR"), ("Atlas Tooling Ltd", "GBP"), ("Vega Supply Inc", "USD")]
        * 4
    ):
        customer = await crm.create_customer(
            session,
            tenant,
            fields=crm.CustomerFields(name=f"{name} {i + 1:02d}", currency=currency),
            actor=actor,
        )
        created.append(customer)
    return created


async def _catalogue(session: AsyncSession, tenant: TenantId) -> tuple[uuid.UUID, list[_Product]]:
    """The first warehouse and the sellable products."""
    warehouses = await stock.list_warehouses(session, tenant, first=1, after=None)
    warehouse = (
        warehouses.rows[0]
        if warehouses.rows
        else await stock.create_warehouse(session, tenant, code="MAIN", name="Main plant")
    )
    page = await stock.list_products(
        session, tenant, filter=stock.ProductFilter(), first=100, after=None
    )
    rows = [p for p in page.rows if p.sales_price > 0]
    if not rows:
        catalogue = [
            ("Workbench", stock.ProductType.STOCKABLE, "420"),
            ("Bearing", stock.ProductType.STOCKABLE, "12.5"),
            ("Shelf unit", stock.ProductType.STOCKABLE, "189"),
            ("Installation", stock.ProductType.SERVICE, "95"),
        ]
        for i, (name, type, price) in enumerate(catalogue):
            rows.append(
                await stock.create_product(
                    session,
                    tenant,
                    stock.ProductFields(
                        sku=f"DEMO-{i + 1:03d}", name=name, type=type, sales_price=Decimal(price)
                    ),
                )
            )
    products = [_Product(p.id, p.type, p.name, p.sales_price, p.currency, p.cost) for p in rows]
    return warehouse.id, products


def _bulk(model: type[Any]) -> Any:
    """A multi-row INSERT of `model`; NULLs are sent as such, so rows with and without a
    value share one statement (by default each such split starts a new batch)."""
    return insert(model).execution_options(render_nulls=True)


async def _numbers(
    session: AsyncSession, tenant: TenantId, kind: DocumentKind, days: list[dt.date]
) -> list[str]:
    """Numbers for documents dated `days`, in that order: one counter bump per year, so the
    series stay gapless and each counter ends at the highest number issued (`numbering`)."""
    per_year = Tally(d.year for d in days)
    first: dict[int, int] = {}
    for year, count in sorted(per_year.items()):
        stmt = upsert(Counter).values(tenant_id=tenant, kind=kind.value, year=year, last=count)
        last = await session.scalar(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "kind", "year"],
                set_={"last": Counter.last + stmt.excluded.last},
            ).returning(Counter.last)
        )
        assert last is not None
        first[year] = last - count + 1
    numbers = []
    for d in days:
        numbers.append(f"{PREFIXES[kind]}-{d.year}-{first[d.year]:05d}")
        first[d.year] += 1
    return numbers


async def _exchange_rates(
    session: AsyncSession, tenant: TenantId, start: dt.date, rng: random.Random
) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Monthly rates from a month before the first order on; returns them per currency."""
    base = await rates.base_currency(session, tenant)
    table: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for currency, rate in _RATES.items():
        for month in range(14):
            day = start - dt.timedelta(days=31) + dt.timedelta(days=30 * month)
            drift = Decimal(rng.randrange(-300, 300)) / 10_000
            if currency != base:
                table.setdefault(currency, []).append((day, rate + drift))
    rows = [
        {"tenant_id": tenant, "currency": c, "date": d, "rate": r}
        for c, found in table.items()
        for d, r in found
    ]
    if rows:
        await session.execute(insert(ExchangeRate), rows)
    table[base] = [(dt.date.min, Decimal(1))]
    return table


Rates = dict[str, list[tuple[dt.date, Decimal]]]


def _rate_on(table: Rates, currency: str, on: dt.date) -> Decimal:
    """`rates.rate_on` over the rates just written: the latest dated on or before `on`."""
    return [r for d, r in table[currency] if d <= on][-1]


def _cross_rate(table: Rates, source: str, target: str, on: dt.date) -> Decimal:
    """`rates.cross_rate` over the rates just written."""
    if source == target:
        return Decimal(1)
    rate = _rate_on(table, source, on) / _rate_on(table, target, on)
    return rate.quantize(rates.RATE_PLACES, rounding=ROUND_HALF_UP)


async def seed_demo(session: AsyncSession, tenant: TenantId, *, history: History) -> None:
    if await session.scalar(select(func.count()).select_from(SalesOrder)):
        return
    rng = random.Random(6)
    users = await identity.list_users(
        session, tenant, filter=identity.UserFilter(active=True), first=100, after=None
    )
    salespeople = sorted(u.id for u in users.rows)
    customers = await _customers(session, tenant, salespeople[0])
    warehouse_id, products = await _catalogue(session, tenant)
    location = await stock.stock_location(session, tenant, warehouse_id)
    vat = await rates.create_tax_rate(session, tenant, name="VAT 20%", percent=Decimal(20))
    reduced = await rates.create_tax_rate(session, tenant, name="VAT 7%", percent=Decimal(7))
    today = orders.today()
    start = today - dt.timedelta(days=DAYS)
    table = await _exchange_rates(session, tenant, start, rng)
    percent = {vat.id: vat.percent, reduced.id: reduced.percent}
    plan = _plan(tenant, rng, customers, salespeople, warehouse_id, products, percent, table)
    numbers = await _numbers(
        session, tenant, DocumentKind.ORDER, [o.row["order_date"] for o in plan]
    )
    for o, number in zip(plan, numbers, strict=True):
        o.row["number"] = number
        if o.fate in _CONFIRMED:
            day = o.row["order_date"]
            o.row["exchange_rate"] = _rate_on(table, o.row["currency"], day)
            o.row["confirmed_at"] = dt.datetime.combine(
                day, dt.time(9 + day.toordinal() % 8, 15), tzinfo=dt.UTC
            )
    # Invoice numbers follow the invoice dates, as `invoicing` requires of a year's series.
    billed = sorted(
        (o for o in plan if o.fate in _INVOICED), key=lambda o: o.invoice_day or dt.date.min
    )
    invoice_numbers = await _numbers(
        session, tenant, DocumentKind.INVOICE, [o.invoice_day for o in billed if o.invoice_day]
    )
    for o, number in zip(billed, invoice_numbers, strict=True):
        _bill(tenant, o, number, today)
    await session.execute(_bulk(SalesOrder), [o.row for o in plan])
    await session.execute(_bulk(SalesOrderLine), [ln for o in plan for ln in o.lines])
    await _move_stock(session, tenant, plan, location, {p.id: p.cost for p in products}, history)
    if billed:
        await session.execute(_bulk(Invoice), [o.invoice for o in billed if o.invoice])
        await session.execute(_bulk(InvoiceLine), [ln for o in billed for ln in o.invoice_lines])
        payments = [_payment(tenant, o) for o in billed if o.fate != Fate.INVOICED]
        if payments:
            await session.execute(_bulk(Payment), payments)
    await session.execute(_bulk(OutboxEvent), [e for o in plan for e in _events(tenant, o)])
    for o in plan:
        if o.fate == Fate.CANCELLED:
            # As `orders.cancel_sales_order` records it (nothing is reserved to release).
            await audit.record(
                session,
                tenant,
                action=audit.Action.SALES_ORDER_CANCELLED,
                target_type="SalesOrder",
                target_id=o.row["id"],
                before={"status": OrderState.CONFIRMED},
                after={"status": OrderState.CANCELLED, "number": o.row["number"]},
            )
        elif o.fate == Fate.RETURNED and o.goods:
            # Returns through their service: where goods go and what is credited are its rules.
            await returns.return_sales_order(
                session,
                tenant,
                o.row["id"],
                lines=[deliveries.LineQuantity(o.goods[0]["id"], Decimal(1))],
                reason="Damaged in transit",
                condition=ReturnCondition.DAMAGED,
                on=o.pay_day,
            )


def _plan(
    tenant: TenantId,
    rng: random.Random,
    customers: list[Any],
    salespeople: list[uuid.UUID],
    warehouse_id: uuid.UUID,
    products: list[_Product],
    percent: dict[uuid.UUID, Decimal],
    table: Rates,
) -> list[_Order]:
    """Every order with its lines and fate, drawing from `rng` in a fixed order. Unit
    prices are the products' sales prices in the order's currency, as `orders` prices a
    line left without one."""
    today = orders.today()
    start = today - dt.timedelta(days=DAYS)
    goods = [p for p in products if p.type == stock.ProductType.STOCKABLE]
    vat_id, reduced_id = list(percent)
    plan = []
    for i in range(ORDERS):
        day = start + dt.timedelta(days=i * DAYS // ORDERS + rng.randrange(0, 2))
        roll = rng.random()
        if roll > 0.94:
            fate = Fate.CANCELLED
        elif (today - day).days < RECENT_DAYS:
            # Cycled, not drawn: every open state shows up whatever the day.
            fate = RECENT_FATES[i % len(RECENT_FATES)]
        else:
            fate = Fate.PARTLY_PAID if roll < 0.1 else Fate.RETURNED if roll > 0.88 else Fate.PAID
        # One stockable line first (so every order can be partly delivered), then others.
        chosen = [rng.choice(goods)] if goods else []
        chosen += [p for p in rng.sample(products, rng.randint(0, 3)) if p not in chosen]
        customer = rng.choice(customers)
        salesperson = rng.choice(salespeople)
        order_id = uuid.uuid4()
        lines: list[dict[str, Any]] = []
        for position, p in enumerate(chosen, start=1):
            quantity = Decimal(rng.randint(2, 6))
            discount = Decimal(rng.choice([0, 0, 0, 5, 10]))
            tax_rate = rng.choice([vat_id, vat_id, reduced_id])
            rate = _cross_rate(table, p.currency, customer.currency, day)
            price = orders.cents(p.price * rate)
            untaxed, tax, total = orders.line_amounts(quantity, price, discount, percent[tax_rate])
            lines.append(
                {
                    "tenant_id": tenant,
                    "id": uuid.uuid4(),
                    "order_id": order_id,
                    "position": position,
                    "product_id": p.id,
                    "product_type": p.type,
                    "description": p.name.strip()[:2000],
                    "quantity": quantity,
                    "unit_price": price,
                    "discount_percent": discount,
                    "tax_rate_id": tax_rate,
                    "tax_percent": percent[tax_rate],
                    "untaxed": untaxed,
                    "tax": tax,
                    "total": total,
                    "price_currency": p.currency,
                    "price_exchange_rate": rate,
                    "delivered_qty": ZERO,
                    "returned_qty": ZERO,
                    "invoiced_qty": ZERO,
                }
            )
        untaxed = sum((ln["untaxed"] for ln in lines), ZERO)
        tax = sum((ln["tax"] for ln in lines), ZERO)
        row = {
            "tenant_id": tenant,
            "id": order_id,
            "number": "",
            "customer_id": customer.id,
            "warehouse_id": warehouse_id,
            "salesperson_id": salesperson,
            "currency": customer.currency,
            "order_date": day,
            "status": OrderState.QUOTATION,
            "invoice_status": InvoicingStatus.NOT_INVOICED,
            "exchange_rate": None,
            "confirmed_at": None,
            "untaxed": untaxed,
            "tax": tax,
            "total": untaxed + tax,
            "notes": "",
        }
        o = _Order(row, lines, fate, customer.payment_terms_days)
        _advance(o, rng, today)
        plan.append(o)
    return plan


def _advance(o: _Order, rng: random.Random, today: dt.date) -> None:
    """Set the order's state, delivered quantities and days as its fate says, drawing the
    invoice and payment days as the services' seed did."""
    status = {
        Fate.QUOTATION: OrderState.QUOTATION,
        Fate.SENT: OrderState.SENT,
        Fate.PARTIALLY_DELIVERED: OrderState.PARTIALLY_DELIVERED,
        Fate.CANCELLED: OrderState.CANCELLED,
    }
    o.row["status"] = status.get(o.fate, OrderState.CONFIRMED)
    if o.fate == Fate.PARTIALLY_DELIVERED and o.goods:
        o.goods[0]["delivered_qty"] = Decimal(1)
    if o.fate not in _DELIVERED:
        return
    o.row["status"] = OrderState.DELIVERED
    for ln in o.lines:
        ln["delivered_qty"] = ln["quantity"]
    if o.fate not in _INVOICED:
        return
    day = o.row["order_date"]
    o.invoice_day = min(today, day + dt.timedelta(days=rng.randint(1, 5)))
    if o.fate != Fate.INVOICED:
        o.pay_day = min(today, o.invoice_day + dt.timedelta(days=rng.choice([7, 14, 30])))


def _bill(tenant: TenantId, o: _Order, number: str, today: dt.date) -> None:
    """The invoice of everything delivered (as `invoicing.post`), paid as the fate says."""
    assert o.invoice_day is not None
    invoice_id = uuid.uuid4()
    for ln in o.lines:
        untaxed, tax, total = orders.line_amounts(
            ln["delivered_qty"], ln["unit_price"], ln["discount_percent"], ln["tax_percent"]
        )
        o.invoice_lines.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "invoice_id": invoice_id,
                "order_line_id": ln["id"],
                "product_id": ln["product_id"],
                "quantity": ln["delivered_qty"],
                "unit_price": ln["unit_price"],
                "discount_percent": ln["discount_percent"],
                "tax_percent": ln["tax_percent"],
                "untaxed": untaxed,
                "tax": tax,
                "total": total,
            }
        )
        ln["invoiced_qty"] = ln["delivered_qty"]
    untaxed = sum((ln["untaxed"] for ln in o.invoice_lines), ZERO)
    tax = sum((ln["tax"] for ln in o.invoice_lines), ZERO)
    total = untaxed + tax
    paid = o.fate in (Fate.PAID, Fate.RETURNED)
    o.invoice = {
        "tenant_id": tenant,
        "id": invoice_id,
        "number": number,
        "kind": InvoiceKind.INVOICE,
        "status": InvoiceStatus.PAID if paid else InvoiceStatus.POSTED,
        "order_id": o.row["id"],
        "customer_id": o.row["customer_id"],
        "currency": o.row["currency"],
        "invoice_date": o.invoice_day,
        "due_date": o.invoice_day + dt.timedelta(days=o.terms),
        "untaxed": untaxed,
        "tax": tax,
        "total": total,
        "amount_paid": _paid(o, total),
        "reason": "",
        "paid_at": dt.datetime.now(dt.UTC) if paid else None,
    }
    o.row["invoice_status"] = InvoicingStatus.PAID if paid else InvoicingStatus.INVOICED


def _paid(o: _Order, total: Decimal) -> Decimal:
    if o.fate == Fate.PARTLY_PAID:
        return (total / 2).quantize(orders.CENT)
    return total if o.fate in (Fate.PAID, Fate.RETURNED) else ZERO


def _payment(tenant: TenantId, o: _Order) -> dict[str, Any]:
    assert o.invoice is not None
    return {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "invoice_id": o.invoice["id"],
        "kind": PaymentKind.PAYMENT,
        "amount": o.invoice["amount_paid"],
        "date": o.pay_day,
    }


class History(Protocol):
    """Stock's bulk path for the demo's past (`subgraphs.stock.seed.post_history`, handed
    in by `nexo.seed`): receipts at their costs and deliveries, each delivery move carrying
    its order and line, written through the ledger as one plan."""

    async def __call__(
        self,
        session: AsyncSession,
        tenant: TenantId,
        *,
        receipts: Sequence[tuple[stock.DocumentRef, Sequence[stock.SupplyLine]]],
        deliveries: Sequence[tuple[stock.DocumentRef, Sequence[stock.DemandLine]]],
    ) -> None: ...


async def _move_stock(
    session: AsyncSession,
    tenant: TenantId,
    plan: list[_Order],
    location: uuid.UUID,
    cost: dict[uuid.UUID, Decimal],
    history: History,
) -> None:
    """Receive every confirmed order's goods and deliver what left in one plan, then
    reserve what the open orders still wait for (see the module docstring)."""
    confirmed = [o for o in plan if o.fate in _CONFIRMED and o.goods]
    await history(
        session,
        tenant,
        receipts=[
            (
                stock.DocumentRef("SalesDemo", uuid.uuid4()),
                [
                    stock.SupplyLine(
                        ln["product_id"], location, ln["quantity"], cost[ln["product_id"]]
                    )
                    for o in confirmed
                    for ln in o.goods
                ],
            )
        ],
        deliveries=[
            (_ref(o), _demand(shipped, location, delivered=True))
            for o in confirmed
            if (shipped := [ln for ln in o.goods if ln["delivered_qty"] > 0])
        ],
    )
    for o in confirmed:
        if o.fate in _DELIVERED or o.fate == Fate.CANCELLED:
            continue
        waiting = [
            replace(d, quantity=d.quantity - ln["delivered_qty"])
            for ln, d in zip(o.goods, _demand(o.goods, location), strict=True)
            if d.quantity > ln["delivered_qty"]
        ]
        await stock.reserve(session, tenant, demand=_ref(o), lines=waiting)


def _ref(o: _Order) -> stock.DocumentRef:
    return stock.DocumentRef("SalesOrder", o.row["id"])


def _demand(
    lines: list[dict[str, Any]], location: uuid.UUID, *, delivered: bool = False
) -> list[stock.DemandLine]:
    return [
        stock.DemandLine(
            str(ln["id"]),
            ln["product_id"],
            location,
            ln["delivered_qty"] if delivered else ln["quantity"],
        )
        for ln in lines
    ]


def _events(tenant: TenantId, o: _Order) -> list[dict[str, Any]]:
    """The outbox events the services emit on the way to the order's state."""
    if o.fate not in _CONFIRMED:
        return []
    row = o.row
    order = {"aggregate_type": "SalesOrder", "aggregate_id": row["id"]}
    found: list[dict[str, Any]] = [
        {
            "type": SalesEvent.ORDER_CONFIRMED,
            **order,
            "payload": {
                "number": row["number"],
                "customerId": str(row["customer_id"]),
                "currency": row["currency"],
                "total": str(row["total"].quantize(FOUR)),
                "exchangeRate": str(row["exchange_rate"]),
                "backorder": False,
                "creditLimitOverridden": False,
            },
        }
    ]
    shipped = [ln for ln in o.lines if ln["delivered_qty"] > 0]
    if shipped:
        found.append(
            {
                "type": SalesEvent.ORDER_DELIVERED,
                **order,
                "payload": {
                    "number": row["number"],
                    "complete": o.fate in _DELIVERED,
                    "lines": [
                        {
                            "lineId": str(ln["id"]),
                            "productId": str(ln["product_id"]),
                            "quantity": str(ln["delivered_qty"].quantize(FOUR)),
                        }
                        for ln in shipped
                    ],
                },
            }
        )
    invoice = o.invoice
    if invoice is not None:
        about = {"aggregate_type": "Invoice", "aggregate_id": invoice["id"]}
        found.append(
            {
                "type": SalesEvent.INVOICE_POSTED,
                **about,
                "payload": {
                    "number": invoice["number"],
                    "kind": str(InvoiceKind.INVOICE),
                    "orderId": str(row["id"]),
                    "customerId": str(row["customer_id"]),
                    "currency": invoice["currency"],
                    "total": str(invoice["total"]),
                },
            }
        )
        if invoice["status"] == InvoiceStatus.PAID:
            found.append(
                {
                    "type": SalesEvent.INVOICE_PAID,
                    **about,
                    "payload": {
                        "number": invoice["number"],
                        "orderId": str(row["id"]),
                        "total": str(invoice["total"].quantize(FOUR)),
                        "currency": invoice["currency"],
                    },
                }
            )
    return [{"tenant_id": tenant, "id": uuid.uuid4(), **e} for e in found]
