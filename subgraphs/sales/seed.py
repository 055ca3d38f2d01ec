"""Sales demo data for `nexo seed --demo`: about 250 orders over the last 12 months in
every state, with invoices, payments, a few returns, tax rates and exchange rates.

Deterministic for a given day (fixed random seed; dates count back from today so the
demo always shows the last 12 months) and idempotent (skips a tenant that has orders).
Everything goes through the services, so the demo obeys the same rules as the API.

Stock availability is left as the stock seeder made it: before an order is confirmed,
its goods are received at the product's current average cost (history the demo does
not model: the purchases that fed those sales). Delivered orders therefore leave the
on-hand quantity unchanged, and open orders reserve exactly what was received for them.
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
from subgraphs.crm import api as crm
from subgraphs.identity import api as identity
from subgraphs.sales import deliveries, invoicing, orders, rates, returns
from subgraphs.sales.models import SalesOrder
from subgraphs.stock import api as stock

ORDERS = 250
DAYS = 365
_RATES = {"USD": Decimal("0.9200"), "GBP": Decimal("1.1600")}


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


async def _customers(session: AsyncSession, tenant: TenantId, actor: uuid.UUID) -> list[uuid.UUID]:
    page = await crm.list_customers(
        session,
        tenant,
        filter=crm.CustomerFilter(status=crm.CustomerStatus.ACTIVE),
        first=100,
        after=None,
    )
    if page.rows:
        return [c.id for c in page.rows]
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
        created.append(customer.id)
    return created


async def _catalogue(
    session: AsyncSession, tenant: TenantId
) -> tuple[uuid.UUID, list[tuple[uuid.UUID, str, Decimal]]]:
    """The first warehouse and the sellable products as (id, type, cost)."""
    warehouses = await stock.list_warehouses(session, tenant, first=1, after=None)
    warehouse = (
        warehouses.rows[0]
        if warehouses.rows
        else await stock.create_warehouse(session, tenant, code="MAIN", name="Main plant")
    )
    page = await stock.list_products(
        session, tenant, filter=stock.ProductFilter(), first=100, after=None
    )
    products = [(p.id, p.type, p.cost) for p in page.rows if p.sales_price > 0]
    if not products:
        catalogue = [
            ("Workbench", stock.ProductType.STOCKABLE, "420"),
            ("Bearing", stock.ProductType.STOCKABLE, "12.5"),
            ("Shelf unit", stock.ProductType.STOCKABLE, "189"),
            ("Installation", stock.ProductType.SERVICE, "95"),
        ]
        for i, (name, type, price) in enumerate(catalogue):
            p = await stock.create_product(
                session,
                tenant,
                stock.ProductFields(
                    sku=f"DEMO-{i + 1:03d}", name=name, type=type, sales_price=Decimal(price)
                ),
            )
            products.append((p.id, p.type, p.cost))
    return warehouse.id, products


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
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
    for currency, rate in _RATES.items():
        for month in range(14):
            day = start - dt.timedelta(days=31) + dt.timedelta(days=30 * month)
            drift = Decimal(rng.randrange(-300, 300)) / 10_000
            await rates.set_exchange_rate(
                session, tenant, currency=currency, on=day, rate=rate + drift
            )
    vat_id, reduced_id = vat.id, reduced.id
    goods = [p for p in products if p[1] == stock.ProductType.STOCKABLE]
    cost = {pid: c for pid, _, c in products}
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
        order = await orders.create_sales_order(
            session,
            tenant,
            customer_id=rng.choice(customers),
            order_date=day,
            warehouse_id=warehouse_id,
            salesperson_id=rng.choice(salespeople),
            lines=[
                orders.LineInput(
                    product_id=pid,
                    quantity=Decimal(rng.randint(2, 6)),
                    discount_percent=Decimal(rng.choice([0, 0, 0, 5, 10])),
                    tax_rate_id=rng.choice([vat_id, vat_id, reduced_id]),
                )
                for pid, _, _ in chosen
            ],
        )
        await _advance(session, tenant, order.id, fate, day, location, cost, rng)


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


async def _advance(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    fate: Fate,
    day: dt.date,
    location: uuid.UUID,
    cost: dict[uuid.UUID, Decimal],
    rng: random.Random,
) -> None:
    """Take a new quotation as far as its `fate` says, dated around `day`."""
    if fate == Fate.QUOTATION:
        return
    if fate == Fate.SENT:
        await orders.send_sales_order(session, tenant, order_id)
        return
    lines = await orders.order_lines(session, tenant, order_id)
    goods = [ln for ln in lines if orders.is_stockable(ln)]
    if goods:
        await stock.receive(
            session,
            tenant,
            source=stock.DocumentRef("SalesDemo", order_id),
            lines=[
                stock.SupplyLine(ln.product_id, location, ln.quantity, cost[ln.product_id])
                for ln in goods
            ],
        )
    at = dt.datetime.combine(day, dt.time(9 + day.toordinal() % 8, 15), tzinfo=dt.UTC)
    await orders.confirm_sales_order(session, tenant, order_id, on=day, at=at)
    if fate == Fate.CANCELLED:
        await orders.cancel_sales_order(session, tenant, order_id)
        return
    if fate == Fate.CONFIRMED:
        return
    if fate == Fate.PARTIALLY_DELIVERED and goods:
        one = [deliveries.LineQuantity(goods[0].id, Decimal(1))]
        await deliveries.deliver_sales_order(session, tenant, order_id, lines=one)
        return
    await deliveries.deliver_sales_order(session, tenant, order_id)
    if fate == Fate.DELIVERED:
        return
    today = orders.today()
    invoice_day = min(today, day + dt.timedelta(days=rng.randint(1, 5)))
    invoice = await invoicing.invoice_sales_order(session, tenant, order_id, on=invoice_day)
    if fate == Fate.INVOICED:
        return
    pay_day = min(today, invoice_day + dt.timedelta(days=rng.choice([7, 14, 30])))
    if fate == Fate.PARTLY_PAID:
        part = (invoice.total / 2).quantize(orders.CENT)
        await invoicing.register_payment(session, tenant, invoice.id, amount=part, on=pay_day)
        return
    await invoicing.register_payment(session, tenant, invoice.id, amount=invoice.total, on=pay_day)
    if fate == Fate.RETURNED and goods:
        await returns.return_sales_order(
            session,
            tenant,
            order_id,
            lines=[deliveries.LineQuantity(goods[0].id, Decimal(1))],
            reason="Damaged in transit",
            on=pay_day,
        )
