"""Purchases demo data for `nexo seed --demo`: 12 suppliers with price lists (tiers, order
multiples, an expired tier here and there), preferred suppliers, the purchasing policy,
and about 80 purchase orders over the last 12 months in every state: requests, sent,
refused, confirmed, partly received (some closed), received, billed, paid, with a few
bills held by the three-way match.

Everything goes through the services, so receipts post real stock moves and the
products' average costs absorb them. Receipts go to the EAST and WEST depots only: the
main plant's reorder rules (and the low-stock alerts the stock demo shows) stay as the
stock seeder made them, ready for `createPurchaseOrdersFromSuggestions`.

Deterministic for a given day (fixed random seed; dates count back from today) and
idempotent (skips a tenant that has suppliers).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.identity import api as identity
from subgraphs.purchases import approval, bills, orders, policy, prices, receipts, suppliers
from subgraphs.purchases.models import Supplier
from subgraphs.stock import api as stock

ORDERS = 80
DAYS = 365
FOUR = Decimal("0.0001")
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


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
    if await session.scalar(select(func.count()).select_from(Supplier)):
        return
    rng = random.Random(11)
    today = orders.today()
    buyer = await _user(session, tenant, "purchasing")
    manager = await _user(session, tenant, "manager")
    assert buyer is not None, "the identity demo makes a purchasing user"
    assert manager is not None, "the identity demo makes a manager"
    products = await _stockable(session, tenant)
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
                await prices.add_supplier_price(
                    session,
                    tenant,
                    supplier_id=supplier.id,
                    product_id=product,
                    fields=prices.PriceFields(
                        price=price.quantize(Decimal("0.01")),
                        min_quantity=minimum,
                        order_multiple=multiple,
                        valid_to=valid_to,
                        valid_from=None if valid_to is None else valid_to - dt.timedelta(days=365),
                    ),
                )
    for supplier_id, sold_ids in ranges.items():
        for product in sold_ids[:3]:
            await prices.set_preferred_supplier(
                session, tenant, product_id=product, supplier_id=supplier_id
            )

    supplier_ids = list(ranges)
    for n in range(ORDERS):
        age = DAYS - n * DAYS // ORDERS - rng.randint(0, 3)
        ordered_on = today - dt.timedelta(days=max(age, 0))
        supplier_id = rng.choice(supplier_ids)
        sold_ids = ranges[supplier_id]
        fate = _fate(rng, age)
        order = await orders.create_purchase_order(
            session,
            tenant,
            supplier_id=supplier_id,
            warehouse_id=rng.choice(warehouses),
            order_date=ordered_on,
            lines=[
                orders.LineInput(
                    product_id=product,
                    quantity=Decimal(rng.randint(5, 120)),
                    tax_percent=rng.choice([Decimal(19), Decimal(19), Decimal(7)]),
                )
                for product in rng.sample(sold_ids, rng.randint(1, min(4, len(sold_ids))))
            ],
            notes=rng.choice(["", "", "Deliver to gate 3", "Call before delivery"]),
            actor=buyer,
        )
        if fate == Fate.RFQ:
            continue
        if fate != Fate.CONFIRMED or rng.random() < 0.5:
            await orders.send_purchase_order(session, tenant, order_id=order.id)
        if fate == Fate.SENT:
            continue
        if fate == Fate.REJECTED:
            await approval.reject_purchase_order(
                session, tenant, order_id=order.id, reason="Ask for a second quote", actor=manager
            )
            continue
        if fate == Fate.CANCELLED:
            await orders.cancel_purchase_order(session, tenant, order_id=order.id)
            continue
        rate = RATES[order.currency] * Decimal(rng.choice(["0.98", "1.00", "1.02"]))
        await approval.confirm_purchase_order(
            session,
            tenant,
            order_id=order.id,
            exchange_rate=None if order.currency == "EUR" else rate,
            by=approval.Approver(manager, can_approve=True),
        )
        if fate == Fate.CONFIRMED:
            continue
        vendor = await session.get(Supplier, (tenant, supplier_id))
        assert vendor is not None
        arrived = min(ordered_on + dt.timedelta(days=vendor.lead_time_days), today)
        lines = await orders.order_lines(session, tenant, order.id)
        if fate in (Fate.PARTIAL, Fate.CLOSED):
            first = lines[0]
            part = (first.quantity / 2).quantize(Decimal(1))
            await receipts.receive_purchase_order(
                session,
                tenant,
                order_id=order.id,
                lines=[receipts.ReceiptLineInput(first.id, max(part, Decimal(1)))],
                received_on=arrived,
                actor=buyer,
            )
            if fate == Fate.CLOSED:
                await receipts.close_purchase_order(session, tenant, order_id=order.id)
            continue
        await receipts.receive_purchase_order(
            session, tenant, order_id=order.id, received_on=arrived, actor=buyer
        )
        if fate == Fate.RECEIVED:
            continue
        billed_on = min(arrived + dt.timedelta(days=2), today)
        surcharge = Decimal("1.08") if fate == Fate.HELD else Decimal(1)  # beyond tolerance
        if fate == Fate.BILLED and len(lines) > 1 and rng.random() < 0.5:
            lines = lines[:1]  # the supplier bills the rest later: partly billed
        bill = await bills.create_vendor_bill(
            session,
            tenant,
            order_id=order.id,
            supplier_reference=f"{vendor.name.split()[0].upper()}-{1000 + n}",
            bill_date=billed_on,
            lines=[
                bills.BillLineInput(
                    ln.id, ln.received_qty, unit_cost=(ln.unit_cost * surcharge).quantize(FOUR)
                )
                for ln in lines
            ],
            actor=buyer,
        )
        if fate == Fate.PAID:
            await bills.pay_vendor_bill(
                session,
                tenant,
                bill_id=bill.id,
                amount=bill.total,
                date=min(bill.due_date, today),
                actor=buyer,
            )
        elif fate == Fate.BILLED and rng.random() < 0.5:
            await bills.pay_vendor_bill(
                session,
                tenant,
                bill_id=bill.id,
                amount=(bill.total / 2).quantize(Decimal("0.01")),
                date=billed_on,
                actor=buyer,
            )
