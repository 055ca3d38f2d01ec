"""Purchases demo data for `nexo seed --demo`: 12 suppliers with price lists (tiers, order
multiples, an expired tier here and there), preferred suppliers, the purchasing policy,
and about 80 purchase orders over the last 12 months in every state: requests, sent,
refused, confirmed, partly received (some closed), received, billed, paid, with a few
bills held by the three-way match.

In bulk, so it seeds in about a second: the price lists, orders, receipts, bills and
payments are built in memory as the services build them (`prices.quote` rounds and
prices each line, `orders.line_amounts` sums it, numbers as `numbering` issues them,
approval by `approval.needs_approval`, the three-way match by `matching.mismatches`, the
billing status by `billing.billing_status`) and written with one INSERT per table, their
outbox events too. The receipts' stock moves go through stock's ledger in one plan
(`History`), so the products' average costs absorb them; closing an order goes through
`receipts`.

Deterministic for a given day (fixed random seed; dates count back from today) and
idempotent (skips a tenant that has suppliers).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.identity import api as identity
from subgraphs.purchases import approval, billing, orders, policy, prices, receipts, suppliers
from subgraphs.purchases.events import PurchaseEvent
from subgraphs.purchases.matching import MatchLine, mismatches
from subgraphs.purchases.models import (
    ApprovalStatus,
    BillingStatus,
    BillPayment,
    BillStatus,
    Counter,
    DocumentKind,
    OrderState,
    PreferredSupplier,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierPrice,
    VendorBill,
    VendorBillLine,
)
from subgraphs.purchases.numbering import PREFIXES
from subgraphs.stock import api as stock

ORDERS = 80
DAYS = 365
FOUR = Decimal("0.0001")
ZERO = Decimal(0)
RATES = {"EUR": Decimal(1), "USD": Decimal("0.92"), "GBP": Decimal("1.16")}
SUPPLIERS = [
    ("Nordstahl GmbH", "EUR"),
    ("Alu Partners BV", "EUR"),
    ("Kupfer & Draht KG", "EUR"),
    ("Polymer Supply SA", "EUR"),
    ("Eichenholz Handel", "EUR"),
    ("Bearing World Ltd", "GBP"),
    ("Fastener Direct", "EUR"),
    ("Motion Components Inc", "USD"),
    ("Sensorik Süd", "EUR"),
    ("Pacific Motors Co", "USD"),
    ("Iberia Metal", "EUR"),
    ("Baltic Freight Parts", "EUR"),
]


class Fate(StrEnum):
    """How far the demo takes an order."""

    RFQ = "RFQ"
    SENT = "SENT"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    CONFIRMED = "CONFIRMED"
    PARTIAL = "PARTIAL"
    CLOSED = "CLOSED"
    RECEIVED = "RECEIVED"
    BILLED = "BILLED"
    HELD = "HELD"
    PAID = "PAID"


def _fate(rng: random.Random, age_days: int) -> Fate:
    """Old orders are mostly done and paid; recent ones are still on their way."""
    if age_days > 90:
        return rng.choice([Fate.PAID] * 6 + [Fate.BILLED, Fate.CLOSED, Fate.HELD, Fate.CANCELLED])
    if age_days > 30:
        return rng.choice(
            [Fate.PAID, Fate.BILLED, Fate.RECEIVED, Fate.PARTIAL, Fate.HELD, Fate.CONFIRMED]
        )
    return rng.choice(
        [Fate.RFQ, Fate.SENT, Fate.REJECTED, Fate.CONFIRMED, Fate.PARTIAL, Fate.RECEIVED]
    )


async def _user(session: AsyncSession, tenant: TenantId, role: str) -> uuid.UUID | None:
    page = await identity.list_users(
        session, tenant, filter=identity.UserFilter(role=role), first=1, after=None
    )
    return page.rows[0].id if page.rows else None


async def _stockable(session: AsyncSession, tenant: TenantId) -> list[tuple[uuid.UUID, Decimal]]:
    """(product, a plausible purchase price in EUR) of every stockable product."""
    found: list[tuple[uuid.UUID, Decimal]] = []
    after = None
    while True:
        page = await stock.list_products(
            session,
            tenant,
            filter=stock.ProductFilter(type=stock.ProductType.STOCKABLE),
            first=100,
            after=after,
        )
        for p in page.rows:
            guide = p.cost if p.cost > 0 else p.sales_price * Decimal("0.6")
            found.append((p.id, max(guide, Decimal(1))))
        if not page.has_next_page:
            return found
        after = page.cursors[-1]


class History(Protocol):
    """Stock's bulk path for the demo's past (`subgraphs.stock.seed.post_history`, handed
    in by `nexo.seed`): receipts, each with its document, written through the ledger as
    one plan."""

    async def __call__(
        self,
        session: AsyncSession,
        tenant: TenantId,
        *,
        receipts: Sequence[tuple[stock.DocumentRef, Sequence[stock.SupplyLine]]],
    ) -> None: ...


async def seed_demo(session: AsyncSession, tenant: TenantId, *, history: History) -> None:
    if await session.scalar(select(func.count()).select_from(Supplier)):
        return
    rng = random.Random(11)
    today = orders.today()
    buyer = await _user(session, tenant, "purchasing")
    manager = await _user(session, tenant, "manager")
    assert buyer is not None, "the identity demo makes a purchasing user"
    assert manager is not None, "the identity demo makes a manager"
    products = await _stockable(session, tenant)
    names = {p.id: p.name for p in await _products(session, tenant, [p for p, _ in products])}
    warehouses = [
        w.id
        for w in (await stock.list_warehouses(session, tenant, first=10, after=None)).rows
        if w.code in ("EAST", "WEST")
    ]
    await policy.set_policy(
        session,
        tenant,
        approval_threshold=Decimal(5000),
        receipt_tolerance_percent=Decimal(5),
        match_tolerance_percent=Decimal(2),
    )
    rules = await policy.get_policy(session, tenant)
    vendors, tiers = await _suppliers(session, tenant, rng, products, today)
    plan = [
        _plan_order(tenant, rng, n, vendors, tiers, warehouses, names, buyer, today)
        for n in range(ORDERS)
    ]
    numbers = await _numbers(
        session, tenant, DocumentKind.ORDER, [o.row["order_date"] for o in plan]
    )
    for o, number in zip(plan, numbers, strict=True):
        o.row["number"] = number
        _decide(o, rules, manager)
    received = [o for o in plan if o.fate in _RECEIVED]
    for o in received:
        _receive(tenant, o, vendors[o.row["supplier_id"]], buyer, today)
    receipt_numbers = await _numbers(
        session, tenant, DocumentKind.RECEIPT, [o.receipt["received_on"] for o in received]
    )
    for o, number in zip(received, receipt_numbers, strict=True):
        o.receipt["number"] = number
    billed = [o for o in received if o.fate in (Fate.BILLED, Fate.HELD, Fate.PAID)]
    for o in billed:
        _bill(tenant, o, vendors[o.row["supplier_id"]], rules, buyer, today)
    bill_numbers = await _numbers(
        session, tenant, DocumentKind.BILL, [o.bill["bill_date"] for o in billed]
    )
    for o, number in zip(billed, bill_numbers, strict=True):
        o.bill["number"] = number
    await session.execute(_bulk(PurchaseOrder), [o.row for o in plan])
    await session.execute(_bulk(PurchaseOrderLine), [ln for o in plan for ln in o.lines])
    if received:
        await session.execute(_bulk(Receipt), [o.receipt for o in received])
        await session.execute(_bulk(ReceiptLine), [ln for o in received for ln in o.receipt_lines])
        locations = {w: await stock.stock_location(session, tenant, w) for w in warehouses}
        await history(
            session,
            tenant,
            receipts=[
                (
                    stock.DocumentRef(receipts.SOURCE_TYPE, o.row["id"]),
                    [
                        stock.SupplyLine(
                            ln["product_id"],
                            locations[o.row["warehouse_id"]],
                            ln["quantity"],
                            ln["unit_cost"],
                        )
                        for ln in o.receipt_lines
                    ],
                )
                for o in received
            ],
        )
    if billed:
        await session.execute(_bulk(VendorBill), [o.bill for o in billed])
        await session.execute(_bulk(VendorBillLine), [ln for o in billed for ln in o.bill_lines])
        paid = [o.payment for o in billed if o.payment]
        if paid:
            await session.execute(_bulk(BillPayment), paid)
    confirmed = [o for o in plan if o.row["confirmed_at"] is not None]
    events = [_confirmed(tenant, o) for o in confirmed] + [_received(tenant, o) for o in received]
    events += [e for o in billed for e in _billed(tenant, o)]
    if events:
        await session.execute(_bulk(OutboxEvent), events)
    for o in received:
        if o.fate == Fate.CLOSED:
            # Through the service: it cancels the rest and sets the billing status.
            await receipts.close_purchase_order(session, tenant, order_id=o.row["id"])


@dataclass(slots=True)
class _Order:
    """One demo order as planned: its rows, fate and the choices drawn for later steps."""

    n: int
    row: dict[str, Any]
    lines: list[dict[str, Any]]
    fate: Fate
    sent: bool = True
    rate: Decimal = Decimal(1)
    bill_first_line_only: bool = False
    half_paid: bool = False
    receipt: dict[str, Any] = field(default_factory=dict)
    receipt_lines: list[dict[str, Any]] = field(default_factory=list)
    bill: dict[str, Any] = field(default_factory=dict)
    bill_lines: list[dict[str, Any]] = field(default_factory=list)
    payment: dict[str, Any] = field(default_factory=dict)


_RECEIVED = {
    Fate.PARTIAL,
    Fate.CLOSED,
    Fate.RECEIVED,
    Fate.BILLED,
    Fate.HELD,
    Fate.PAID,
}


def _bulk(model: type[Any]) -> Any:
    """A multi-row INSERT of `model` that sends NULLs as such (one batch for all rows)."""
    return insert(model).execution_options(render_nulls=True)


async def _numbers(
    session: AsyncSession, tenant: TenantId, kind: DocumentKind, days: list[dt.date]
) -> list[str]:
    """Numbers for documents dated `days`, in that order: one counter bump per year, so the
    series stay gapless and each counter ends at the highest number issued (`numbering`)."""
    first: dict[int, int] = {}
    for year, count in sorted(Tally(d.year for d in days).items()):
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


async def _products(session: AsyncSession, tenant: TenantId, ids: list[uuid.UUID]) -> list[Any]:
    return list((await stock.products_by_id(session, tenant, ids)).values())


async def _suppliers(
    session: AsyncSession,
    tenant: TenantId,
    rng: random.Random,
    products: list[tuple[uuid.UUID, Decimal]],
    today: dt.date,
) -> tuple[dict[uuid.UUID, Supplier], dict[uuid.UUID, list[SupplierPrice]]]:
    """The suppliers (through the service) and their price tiers and preferred products
    (one INSERT each); returns the suppliers and each one's tiers."""
    vendors: dict[uuid.UUID, Supplier] = {}
    tiers: dict[uuid.UUID, list[SupplierPrice]] = {}
    ranges: dict[uuid.UUID, list[uuid.UUID]] = {}
    for index, (name, currency) in enumerate(SUPPLIERS):
        supplier = await suppliers.create_supplier(
            session,
            tenant,
            suppliers.SupplierFields(
                name=name,
                tax_id=f"EU{100200300 + index * 7919}",
                email=f"orders@{name.split()[0].lower()}.example",
                phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                address=f"{rng.randint(1, 200)} Industriestraße, {rng.randint(10000, 99999)}",
                currency=currency,
                payment_terms_days=rng.choice([14, 30, 30, 45, 60]),
                lead_time_days=rng.randint(3, 21),
                rating=rng.randint(2, 5),
            ),
        )
        vendors[supplier.id] = supplier
        tiers[supplier.id] = []
        sold = rng.sample(products, rng.randint(8, 14))
        ranges[supplier.id] = [p for p, _ in sold]
        for product, guide in sold:
            unit = (guide * Decimal(rng.uniform(0.85, 1.15)) / RATES[currency]).quantize(
                Decimal("0.01")
            )
            multiple = rng.choice([None, None, Decimal(5), Decimal(10)])
            expired = today - dt.timedelta(days=rng.randint(120, 300))
            for minimum, price, valid_to in (
                (Decimal(rng.choice([1, 5, 10])), unit * Decimal("1.08"), expired),
                (Decimal(rng.choice([1, 5, 10])), unit, None),
                (Decimal(100), (unit * Decimal("0.94")).quantize(Decimal("0.01")), None),
            ):
                if valid_to is not None and rng.random() < 0.6:
                    continue  # only some products had an older price list
                # As `prices.add_supplier_price` makes it; the tiers also price the orders.
                tiers[supplier.id].append(
                    SupplierPrice(
                        tenant_id=tenant,
                        id=uuid.uuid4(),
                        supplier_id=supplier.id,
                        product_id=product,
                        price=price.quantize(Decimal("0.01")),
                        currency=supplier.currency,
                        min_quantity=minimum,
                        order_multiple=multiple,
                        lead_time_days=None,
                        valid_from=None if valid_to is None else valid_to - dt.timedelta(days=365),
                        valid_to=valid_to,
                    )
                )
    session.add_all(t for found in tiers.values() for t in found)
    await session.flush()
    preferred = {p: s for s, sold_ids in ranges.items() for p in sold_ids[:3]}  # last one wins
    await session.execute(
        insert(PreferredSupplier),
        [{"tenant_id": tenant, "product_id": p, "supplier_id": s} for p, s in preferred.items()],
    )
    return vendors, tiers


def _plan_order(
    tenant: TenantId,
    rng: random.Random,
    n: int,
    vendors: dict[uuid.UUID, Supplier],
    tiers: dict[uuid.UUID, list[SupplierPrice]],
    warehouses: list[uuid.UUID],
    names: dict[uuid.UUID, str],
    buyer: uuid.UUID,
    today: dt.date,
) -> _Order:
    """Order `n` as `orders.create_purchase_order` builds it (quantities rounded and priced
    by `prices.quote`), drawing from `rng` where the services' seed drew."""
    age = DAYS - n * DAYS // ORDERS - rng.randint(0, 3)
    ordered_on = today - dt.timedelta(days=max(age, 0))
    supplier = vendors[rng.choice(list(vendors))]
    sold = list(dict.fromkeys(t.product_id for t in tiers[supplier.id]))
    fate = _fate(rng, age)
    warehouse = rng.choice(warehouses)
    order_id = uuid.uuid4()
    lead = supplier.lead_time_days
    lines: list[dict[str, Any]] = []
    for position, product in enumerate(rng.sample(sold, rng.randint(1, min(4, len(sold)))), 1):
        quantity = Decimal(rng.randint(5, 120))
        tax_percent = rng.choice([Decimal(19), Decimal(19), Decimal(7)])
        own = [t for t in tiers[supplier.id] if t.product_id == product]
        offer = prices.quote(own, quantity, ordered_on, supplier.currency)
        assert offer.unit_cost is not None, "every sold product has a current tier"
        if offer.tier is not None and offer.tier.lead_time_days is not None:
            lead = max(lead, offer.tier.lead_time_days)
        untaxed, tax, total = orders.line_amounts(offer.quantity, offer.unit_cost, tax_percent)
        lines.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "order_id": order_id,
                "position": position,
                "product_id": product,
                "description": names.get(product, ""),
                "quantity": offer.quantity,
                "unit_cost": offer.unit_cost,
                "tax_percent": tax_percent,
                "untaxed": untaxed,
                "tax": tax,
                "total": total,
                "received_qty": ZERO,
                "billed_qty": ZERO,
                "cancelled_qty": ZERO,
            }
        )
    notes = rng.choice(["", "", "Deliver to gate 3", "Call before delivery"])
    untaxed = sum((ln["untaxed"] for ln in lines), ZERO)
    tax = sum((ln["tax"] for ln in lines), ZERO)
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "id": order_id,
        "number": "",
        "supplier_id": supplier.id,
        "warehouse_id": warehouse,
        "currency": supplier.currency,
        "exchange_rate": None,
        "order_date": ordered_on,
        "expected_date": ordered_on + dt.timedelta(days=lead),
        "status": OrderState.RFQ,
        "billing_status": BillingStatus.NOT_BILLED,
        "approval_status": ApprovalStatus.NOT_REVIEWED,
        "approved_by": None,
        "approved_at": None,
        "rejected_by": None,
        "rejected_at": None,
        "rejection_reason": None,
        "untaxed": untaxed,
        "tax": tax,
        "total": untaxed + tax,
        "notes": notes,
        "created_by": buyer,
        "sent_at": None,
        "confirmed_at": None,
        "confirmed_by": None,
        "cancelled_at": None,
        "received_at": None,
    }
    o = _Order(n, row, lines, fate)
    if fate == Fate.RFQ:
        return o
    o.sent = fate != Fate.CONFIRMED or rng.random() < 0.5
    if fate in (Fate.SENT, Fate.REJECTED, Fate.CANCELLED):
        return o
    o.rate = RATES[supplier.currency] * Decimal(rng.choice(["0.98", "1.00", "1.02"]))
    if fate == Fate.BILLED and len(lines) > 1:
        o.bill_first_line_only = rng.random() < 0.5
    if fate == Fate.BILLED:
        o.half_paid = rng.random() < 0.5
    return o


def _decide(o: _Order, rules: policy.Policy, manager: uuid.UUID) -> None:
    """Send, reject, cancel or confirm the order as `orders` and `approval` would."""
    row, at = o.row, orders.now()
    if o.fate == Fate.RFQ:
        return
    if o.sent:
        row["status"], row["sent_at"] = OrderState.SENT, at
    if o.fate == Fate.REJECTED:
        row["approval_status"] = ApprovalStatus.REJECTED
        row["rejected_by"], row["rejected_at"] = manager, at
        row["rejection_reason"] = "Ask for a second quote"
    elif o.fate == Fate.CANCELLED:
        row["status"], row["cancelled_at"] = OrderState.CANCELLED, at
    elif o.fate != Fate.SENT:
        rate = Decimal(1) if row["currency"] == rules.base_currency else o.rate
        if approval.needs_approval(rules, orders.cents(row["untaxed"] * rate)):
            row["approval_status"] = ApprovalStatus.APPROVED
            row["approved_by"], row["approved_at"] = manager, at
        row["status"], row["exchange_rate"] = OrderState.CONFIRMED, rate
        row["confirmed_by"], row["confirmed_at"] = manager, at


def _confirmed(tenant: TenantId, o: _Order) -> dict[str, Any]:
    """The `po.confirmed` event `approval.confirm_purchase_order` emits."""
    row = o.row
    return {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "type": PurchaseEvent.PO_CONFIRMED,
        "aggregate_type": "PurchaseOrder",
        "aggregate_id": row["id"],
        "payload": {
            "number": row["number"],
            "supplierId": str(row["supplier_id"]),
            "currency": row["currency"],
            "total": str(orders.cents(row["total"])),
            "exchangeRate": str(row["exchange_rate"]),
            "expectedDate": row["expected_date"].isoformat(),
            "approvedBy": str(row["approved_by"]) if row["approved_by"] else None,
        },
    }


def _receive(
    tenant: TenantId, o: _Order, vendor: Supplier, buyer: uuid.UUID, today: dt.date
) -> None:
    """The order's receipt as `receipts.receive_purchase_order` records it, on the day the
    supplier's lead time brings it: half the first line, or everything."""
    row = o.row
    arrived = min(row["order_date"] + dt.timedelta(days=vendor.lead_time_days), today)
    if o.fate in (Fate.PARTIAL, Fate.CLOSED):
        first = o.lines[0]
        taken = [(first, max((first["quantity"] / 2).quantize(Decimal(1)), Decimal(1)))]
    else:
        taken = [(ln, ln["quantity"]) for ln in o.lines]
    o.receipt = {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "number": "",
        "order_id": row["id"],
        "received_on": arrived,
        "received_by": buyer,
    }
    for ln, quantity in taken:
        ln["received_qty"] += quantity
        o.receipt_lines.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "receipt_id": o.receipt["id"],
                "order_line_id": ln["id"],
                "product_id": ln["product_id"],
                "quantity": quantity,
                "unit_cost": receipts.base_unit_cost(ln["unit_cost"], row["exchange_rate"]),
            }
        )
    complete = all(ln["received_qty"] >= ln["quantity"] for ln in o.lines)
    row["status"] = OrderState.RECEIVED if complete else OrderState.PARTIALLY_RECEIVED
    row["received_at"] = orders.now() if complete else None


def _received(tenant: TenantId, o: _Order) -> dict[str, Any]:
    """The `po.received` event `receipts.receive_purchase_order` emits."""
    return {
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "type": PurchaseEvent.PO_RECEIVED,
        "aggregate_type": "PurchaseOrder",
        "aggregate_id": o.row["id"],
        "payload": {
            "number": o.row["number"],
            "receiptId": str(o.receipt["id"]),
            "complete": o.row["status"] == OrderState.RECEIVED,
            "lines": [
                {
                    "lineId": str(rl["order_line_id"]),
                    "productId": str(rl["product_id"]),
                    "quantity": str(rl["quantity"].quantize(FOUR)),
                    "unitCost": str(rl["unit_cost"]),
                }
                for rl in o.receipt_lines
            ],
        },
    }


def _bill(
    tenant: TenantId,
    o: _Order,
    vendor: Supplier,
    rules: policy.Policy,
    buyer: uuid.UUID,
    today: dt.date,
) -> None:
    """The supplier's bill two days after the goods, as `bills.create_vendor_bill` records
    it (the three-way match of `matching` holds the surcharged ones), posted or held, and
    paid as `bills.pay_vendor_bill` would: in full, half, or not yet."""
    row = o.row
    day = min(o.receipt["received_on"] + dt.timedelta(days=2), today)
    surcharge = Decimal("1.08") if o.fate == Fate.HELD else Decimal(1)  # beyond tolerance
    # The supplier bills the rest later (partly billed), or everything received.
    lines = o.lines[:1] if o.bill_first_line_only else o.lines
    bill_id = uuid.uuid4()
    reasons: list[str] = []
    for position, ln in enumerate(lines, start=1):
        unit_cost = (ln["unit_cost"] * surcharge).quantize(FOUR)
        ordered = ln["quantity"] - ln["cancelled_qty"]
        found = mismatches(
            MatchLine(
                position=ln["position"],
                ordered_qty=ordered,
                received_qty=ln["received_qty"],
                billed_before=ln["billed_qty"],
                quantity=ln["received_qty"],
                ordered_unit_cost=ln["unit_cost"],
                unit_cost=unit_cost,
            ),
            rules.match_tolerance_percent,
        )
        reasons += found
        untaxed, tax, total = orders.line_amounts(ln["received_qty"], unit_cost, ln["tax_percent"])
        o.bill_lines.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "bill_id": bill_id,
                "order_line_id": ln["id"],
                "position": position,
                "product_id": ln["product_id"],
                "quantity": ln["received_qty"],
                "unit_cost": unit_cost,
                "tax_percent": ln["tax_percent"],
                "untaxed": untaxed,
                "tax": tax,
                "total": total,
                "ordered_qty": ordered,
                "received_qty": ln["received_qty"],
                "ordered_unit_cost": ln["unit_cost"],
                "hold_reason": "; ".join(found) or None,
            }
        )
    untaxed = sum((ln["untaxed"] for ln in o.bill_lines), ZERO)
    tax = sum((ln["tax"] for ln in o.bill_lines), ZERO)
    total = untaxed + tax
    at = orders.now()
    due = day + dt.timedelta(days=vendor.payment_terms_days)
    status = BillStatus.HELD if reasons else BillStatus.POSTED
    if not reasons:
        # Posting bills what was received at the ordered cost: no price difference to
        # revalue stock with (`bills._post` would hand one to `stock.revalue`).
        assert surcharge == 1
        for ln, bl in zip(lines, o.bill_lines, strict=True):
            ln["billed_qty"] += bl["quantity"]
    paid = ZERO
    if status == BillStatus.POSTED and (o.fate == Fate.PAID or o.half_paid):
        paid = total if o.fate == Fate.PAID else (total / 2).quantize(Decimal("0.01"))
        o.payment = {
            "tenant_id": tenant,
            "id": uuid.uuid4(),
            "bill_id": bill_id,
            "amount": paid,
            "date": min(due, today) if o.fate == Fate.PAID else day,
            "created_by": buyer,
        }
        if paid == total:
            status = BillStatus.PAID
    o.bill = {
        "tenant_id": tenant,
        "id": bill_id,
        "number": "",
        "supplier_reference": f"{vendor.name.split()[0].upper()}-{1000 + o.n}",
        "order_id": row["id"],
        "supplier_id": row["supplier_id"],
        "currency": row["currency"],
        "bill_date": day,
        "due_date": due,
        "status": status,
        "hold_reasons": reasons,
        "untaxed": untaxed,
        "tax": tax,
        "total": total,
        "amount_paid": paid,
        "created_by": buyer,
        "posted_at": None if reasons else at,
        "paid_at": at if status == BillStatus.PAID else None,
    }
    row["billing_status"] = billing.billing_status(
        [PurchaseOrderLine(**ln) for ln in o.lines], [status]
    )


def _billed(tenant: TenantId, o: _Order) -> list[dict[str, Any]]:
    """The `bill.held` or `bill.paid` event of the order's bill, as `bills` emits them."""
    bill = o.bill
    payload = {
        "number": bill["number"],
        "orderId": str(o.row["id"]),
        "supplierId": str(bill["supplier_id"]),
        "total": str(orders.cents(bill["total"])),
        "currency": bill["currency"],
    }
    if bill["status"] == BillStatus.HELD:
        kind, payload = PurchaseEvent.BILL_HELD, {**payload, "reasons": bill["hold_reasons"]}
    elif bill["status"] == BillStatus.PAID:
        kind = PurchaseEvent.BILL_PAID
    else:
        return []
    return [
        {
            "tenant_id": tenant,
            "id": uuid.uuid4(),
            "type": kind,
            "aggregate_type": "VendorBill",
            "aggregate_id": bill["id"],
            "payload": payload,
        }
    ]
