"""Sales orders: quotations, confirmation (customer check and stock reservation), delivery
and cancellation. Invoices, payments and returns live in `invoicing.py`; read models and
analytics in `analytics.py`. Services never commit: the caller's unit of work does.

Amounts are Decimal throughout. Rounding, documented once here and used everywhere:
a line's untaxed amount is quantity x unit price x (1 - discount/100) rounded to cents
half-up; its tax is untaxed x tax percent/100 rounded to cents half-up; a document's
untaxed, tax and total amounts are the sums of its rounded lines, so lines always add up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from shared.outbox import emit
from subgraphs.crm import service as crm
from subgraphs.sales import rates
from subgraphs.sales.models import SalesOrder, SalesOrderLine, TaxRate
from subgraphs.sales.numbering import next_number
from subgraphs.stock import service as stock

ZERO = Decimal(0)
CENT = Decimal("0.01")
QUANTUM = Decimal("0.0001")
EDITABLE = ("QUOTATION", "SENT")
OPEN = ("CONFIRMED", "PARTIALLY_DELIVERED")
BOOKED = ("CONFIRMED", "PARTIALLY_DELIVERED", "DELIVERED")
"""Orders that count as sales: confirmed and not cancelled."""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, tax_percent: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(untaxed, tax, total) of one line, rounded as the module docstring says."""
    untaxed = cents(quantity * unit_price * (100 - discount_percent) / 100)
    tax = cents(untaxed * tax_percent / 100)
    return untaxed, tax, untaxed + tax


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class OrderShortOfStock(InvalidInput):
    """Stock cannot cover the order; names every short product. Nothing was written."""

    def __init__(self, problems: Sequence[Problem], product_ids: Sequence[uuid.UUID]) -> None:
        super().__init__(problems)
        self.product_ids = list(product_ids)


# --- quotations ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineInput:
    product_id: uuid.UUID
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal = ZERO
    tax_rate_id: uuid.UUID | None = None
    description: str | None = None


async def _build_lines(
    session: AsyncSession, tenant: TenantId, lines: Sequence[LineInput], problems: list[Problem]
) -> list[SalesOrderLine]:
    if not lines:
        problems.append(Problem("input.lines", "REQUIRED", "An order needs at least one line"))
        return []
    products = await stock.products_by_id(session, tenant, list({ln.product_id for ln in lines}))
    wanted_rates = list({ln.tax_rate_id for ln in lines if ln.tax_rate_id is not None})
    rates = {
        r.id: r
        for r in (
            await session.scalars(
                select(TaxRate).where(TaxRate.tenant_id == tenant, TaxRate.id.in_(wanted_rates))
            )
        ).all()
    }
    built = []
    for i, ln in enumerate(lines):
        base = f"input.lines.{i}"
        product = products.get(ln.product_id)
        if product is None:
            problems.append(Problem(f"{base}.productId", "NOT_FOUND", "No such product"))
        elif not product.active:
            problems.append(Problem(f"{base}.productId", "ARCHIVED", "The product is archived"))
        if not ln.quantity.is_finite() or ln.quantity <= 0:
            problems.append(
                Problem(f"{base}.quantity", "MUST_BE_POSITIVE", "The quantity must be positive")
            )
        elif ln.quantity.quantize(QUANTUM) != ln.quantity:
            problems.append(Problem(f"{base}.quantity", "TOO_PRECISE", "At most 4 decimals"))
        price = ln.unit_price
        if price is not None and (not price.is_finite() or price < 0):
            problems.append(Problem(f"{base}.unitPrice", "NEGATIVE", "Prices cannot be negative"))
        elif price is not None and price.quantize(QUANTUM) != price:
            problems.append(Problem(f"{base}.unitPrice", "TOO_PRECISE", "At most 4 decimals"))
        discount = ln.discount_percent
        if not discount.is_finite() or discount < 0 or discount > 100:
            problems.append(
                Problem(f"{base}.discountPercent", "OUT_OF_RANGE", "Between 0 and 100 percent")
            )
        rate = rates.get(ln.tax_rate_id) if ln.tax_rate_id is not None else None
        if ln.tax_rate_id is not None and rate is None:
            problems.append(Problem(f"{base}.taxRateId", "NOT_FOUND", "No such tax rate"))
        if problems or product is None:
            continue
        unit_price = price if price is not None else product.sales_price
        tax_percent = rate.percent if rate is not None else ZERO
        untaxed, tax, total = line_amounts(ln.quantity, unit_price, discount, tax_percent)
        built.append(
            SalesOrderLine(
                tenant_id=tenant,
                id=uuid.uuid4(),
                position=i + 1,
                product_id=product.id,
                product_type=product.type,
                description=(ln.description or product.name).strip()[:2000],
                quantity=ln.quantity,
                unit_price=unit_price,
                discount_percent=discount,
                tax_rate_id=ln.tax_rate_id,
                tax_percent=tax_percent,
                untaxed=untaxed,
                tax=tax,
                total=total,
                delivered_qty=ZERO,
                returned_qty=ZERO,
                invoiced_qty=ZERO,
            )
        )
    return built


def _set_totals(order: SalesOrder, lines: Sequence[SalesOrderLine]) -> None:
    order.untaxed = sum((ln.untaxed for ln in lines), ZERO)
    order.tax = sum((ln.tax for ln in lines), ZERO)
    order.total = order.untaxed + order.tax


async def create_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    customer_id: uuid.UUID,
    lines: Sequence[LineInput],
    currency: str | None = None,
    order_date: dt.date | None = None,
    warehouse_id: uuid.UUID | None = None,
    notes: str = "",
    salesperson_id: uuid.UUID | None = None,
) -> SalesOrder:
    """A quotation. Unit prices default to the product's sales price; the currency to
    the customer's; the warehouse to the tenant's first by code."""
    problems: list[Problem] = []
    customer = None
    try:
        customer = await crm.get_orderable_customer(session, tenant, customer_id)
    except crm.CustomerNotOrderable as exc:
        problems.extend(exc.problems)
    if currency is not None:
        currency = currency.strip().upper()
        if not rates.CURRENCY.match(currency):
            problems.append(Problem("input.currency", "INVALID", "A three-letter ISO code"))
    if warehouse_id is None:
        page = await stock.list_warehouses(session, tenant, first=1, after=None)
        if not page.rows:
            problems.append(Problem("input.warehouseId", "REQUIRED", "Create a warehouse first"))
        else:
            warehouse_id = page.rows[0].id
    elif warehouse_id not in await stock.warehouses_by_id(session, tenant, [warehouse_id]):
        problems.append(Problem("input.warehouseId", "NOT_FOUND", "No such warehouse"))
    built = await _build_lines(session, tenant, lines, problems)
    if problems:
        raise InvalidInput(problems)
    assert customer is not None
    assert warehouse_id is not None
    day = order_date or today()
    order = SalesOrder(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, "ORDER", day),
        customer_id=customer.id,
        warehouse_id=warehouse_id,
        salesperson_id=salesperson_id,
        currency=currency or customer.currency,
        order_date=day,
        status="QUOTATION",
        invoice_status="NOT_INVOICED",
        notes=notes,
    )
    _set_totals(order, built)
    session.add(order)
    await session.flush()
    for ln in built:
        ln.order_id = order.id
    session.add_all(built)
    await session.flush()
    return order


async def get_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lock: bool = False,
    field: str = "input.id",
) -> SalesOrder:
    stmt = (
        select(SalesOrder)
        .where(SalesOrder.tenant_id == tenant, SalesOrder.id == order_id)
        .execution_options(populate_existing=True)
    )
    order = await session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise InvalidInput.one(field, "NOT_FOUND", "No such sales order")
    return order


async def order_lines(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> list[SalesOrderLine]:
    rows = await session.scalars(
        select(SalesOrderLine)
        .where(SalesOrderLine.tenant_id == tenant, SalesOrderLine.order_id == order_id)
        .order_by(SalesOrderLine.position)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


def require_state(order: SalesOrder, allowed: tuple[str, ...], code: str, what: str) -> None:
    if order.status not in allowed:
        raise InvalidInput.one(
            "input.id", code, f"{what} ({order.number} is {order.status.replace('_', ' ')})"
        )


async def update_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineInput] | None = None,
    notes: str | None = None,
    order_date: dt.date | None = None,
) -> SalesOrder:
    """Only quotations (QUOTATION or SENT) are editable; lines, when given, replace all."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, EDITABLE, "NOT_EDITABLE", "Only quotations can be edited")
    problems: list[Problem] = []
    built = await _build_lines(session, tenant, lines, problems) if lines is not None else None
    if problems:
        raise InvalidInput(problems)
    if built is not None:
        await session.execute(
            delete(SalesOrderLine).where(
                SalesOrderLine.tenant_id == tenant, SalesOrderLine.order_id == order.id
            )
        )
        for ln in built:
            ln.order_id = order.id
        session.add_all(built)
        _set_totals(order, built)
    if notes is not None:
        order.notes = notes
    if order_date is not None:
        order.order_date = order_date
    await session.flush()
    return order


async def send_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> SalesOrder:
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, ("QUOTATION",), "INVALID_STATE", "Only a new quotation can be sent")
    order.status = "SENT"
    await session.flush()
    return order


# --- confirmation, delivery, cancellation -------------------------------------------


def _demand(order: SalesOrder) -> stock.DocumentRef:
    return stock.DocumentRef("SalesOrder", order.id)


async def _short(
    session: AsyncSession,
    tenant: TenantId,
    exc: stock.InsufficientStock,
    ordered: dict[uuid.UUID, Decimal],
) -> OrderShortOfStock:
    ids = list(dict.fromkeys(s.product_id for s in exc.shortfalls))
    products = await stock.products_by_id(session, tenant, ids)
    problems = []
    for s in exc.shortfalls:
        p = products.get(s.product_id)
        label = f"{p.sku} ({p.name})" if p is not None else str(s.product_id)
        problems.append(
            Problem(
                "input.id",
                "INSUFFICIENT_STOCK",
                f"{label}: {ordered.get(s.product_id, s.requested).normalize():f} needed, "
                f"{s.available.normalize():f} available",
            )
        )
    return OrderShortOfStock(problems, ids)


async def _reserve_available(
    session: AsyncSession,
    tenant: TenantId,
    order: SalesOrder,
    demand: list[stock.DemandLine],
    first_failure: stock.InsufficientStock,
) -> None:
    """Backorder: reserve what is free, line by line in order, and leave the rest open."""
    failure: stock.InsufficientStock | None = first_failure
    for _ in range(5):
        assert failure is not None
        free = {s.product_id: s.available for s in failure.shortfalls}
        partial = []
        for d in demand:
            if d.product_id not in free:
                partial.append(d)
                continue
            take = min(d.quantity, free[d.product_id])
            free[d.product_id] -= take
            if take > 0:
                partial.append(stock.DemandLine(d.line, d.product_id, d.location_id, take))
        if not partial:
            return
        try:
            await stock.reserve(session, tenant, demand=_demand(order), lines=partial)
            return
        except stock.InsufficientStock as again:
            # Someone took stock between our two attempts: plan again on what is left.
            failure = again
            demand = partial
    raise failure or first_failure


async def confirm_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    allow_backorder: bool = False,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> SalesOrder:
    """Check the customer with CRM, fix the exchange rate, reserve every stockable line.

    All or nothing: a shortfall raises `OrderShortOfStock` naming the products, unless
    `allow_backorder`, in which case what is free is reserved and the rest stays open.
    """
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, EDITABLE, "INVALID_STATE", "Only quotations can be confirmed")
    await crm.get_orderable_customer(session, tenant, order.customer_id, field="input.id")
    day = on or today()
    rate = await rates.rate_on(session, tenant, order.currency, day)
    if rate is None:
        raise rates.ExchangeRateMissing(
            order.currency, await rates.base_currency(session, tenant), day
        )
    lines = await order_lines(session, tenant, order.id)
    location = await stock.stock_location(session, tenant, order.warehouse_id)
    demand = [
        stock.DemandLine(str(ln.id), ln.product_id, location, ln.quantity)
        for ln in lines
        if ln.product_type == "STOCKABLE"
    ]
    if demand:
        try:
            await stock.reserve(session, tenant, demand=_demand(order), lines=demand)
        except stock.InsufficientStock as exc:
            if not allow_backorder:
                ordered: dict[uuid.UUID, Decimal] = {}
                for d in demand:
                    ordered[d.product_id] = ordered.get(d.product_id, ZERO) + d.quantity
                raise await _short(session, tenant, exc, ordered) from None
            await _reserve_available(session, tenant, order, demand, exc)
    order.status = "CONFIRMED"
    order.exchange_rate = rate
    order.confirmed_at = at or dt.datetime.now(dt.UTC)
    await session.flush()
    await emit(
        session,
        tenant,
        type="order.confirmed",
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "customerId": str(order.customer_id),
            "currency": order.currency,
            "total": str(order.total),
            "exchangeRate": str(rate),
            "backorder": allow_backorder,
        },
    )
    return order


@dataclass(frozen=True, slots=True)
class LineQuantity:
    line_id: uuid.UUID
    quantity: Decimal


def line_quantities(
    lines: Sequence[LineQuantity],
    by_id: dict[uuid.UUID, SalesOrderLine],
    remaining: dict[uuid.UUID, Decimal],
    *,
    exceeded: tuple[str, str],
    stockable_only: bool,
) -> dict[uuid.UUID, Decimal]:
    problems: list[Problem] = []
    wanted: dict[uuid.UUID, Decimal] = {}
    for i, lq in enumerate(lines):
        base = f"input.lines.{i}"
        line = by_id.get(lq.line_id)
        if line is None:
            problems.append(Problem(f"{base}.lineId", "NOT_FOUND", "No such line on this order"))
            continue
        if lq.line_id in wanted:
            problems.append(Problem(f"{base}.lineId", "DUPLICATE", "Name each line once"))
            continue
        if stockable_only and line.product_type != "STOCKABLE":
            problems.append(
                Problem(
                    f"{base}.lineId",
                    "NOT_STOCKABLE",
                    f"Line {line.position} is a {line.product_type.lower()} product: it has no "
                    "stock to move and counts as delivered with the order's goods",
                )
            )
            continue
        if not lq.quantity.is_finite() or lq.quantity <= 0:
            problems.append(
                Problem(f"{base}.quantity", "MUST_BE_POSITIVE", "The quantity must be positive")
            )
        elif lq.quantity.quantize(QUANTUM) != lq.quantity:
            problems.append(Problem(f"{base}.quantity", "TOO_PRECISE", "At most 4 decimals"))
        elif lq.quantity > remaining[line.id]:
            code, what = exceeded
            problems.append(
                Problem(
                    f"{base}.quantity",
                    code,
                    f"Line {line.position}: at most {remaining[line.id].normalize():f} {what}",
                )
            )
        wanted[lq.line_id] = lq.quantity
    if problems:
        raise InvalidInput(problems)
    return wanted


async def deliver_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineQuantity] | None = None,
    actor: uuid.UUID | None = None,
) -> SalesOrder:
    """Deliver everything still open, or the given quantities of stockable lines.

    Goods leave through stock's `deliver` (consuming the order's reservation first).
    Service and consumable lines have no stock: they count as delivered once every
    stockable line is.
    """
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, OPEN, "INVALID_STATE", "Only confirmed orders can be delivered")
    all_lines = await order_lines(session, tenant, order.id)
    by_id = {ln.id: ln for ln in all_lines}
    remaining = {ln.id: ln.quantity - ln.delivered_qty for ln in all_lines}
    if lines is None:
        wanted = {
            ln.id: remaining[ln.id]
            for ln in all_lines
            if ln.product_type == "STOCKABLE" and remaining[ln.id] > 0
        }
    else:
        if not lines:
            raise InvalidInput.one("input.lines", "REQUIRED", "Name at least one line")
        wanted = line_quantities(
            lines,
            by_id,
            remaining,
            exceeded=("EXCEEDS_ORDERED", "left to deliver"),
            stockable_only=True,
        )
    location = await stock.stock_location(session, tenant, order.warehouse_id)
    demand = [
        stock.DemandLine(str(line_id), by_id[line_id].product_id, location, quantity)
        for line_id, quantity in wanted.items()
    ]
    if demand:
        try:
            await stock.deliver(session, tenant, demand=_demand(order), lines=demand, actor=actor)
        except stock.InsufficientStock as exc:
            ordered: dict[uuid.UUID, Decimal] = {}
            for k, v in wanted.items():
                ordered[by_id[k].product_id] = ordered.get(by_id[k].product_id, ZERO) + v
            raise await _short(session, tenant, exc, ordered) from None
    for line_id, quantity in wanted.items():
        by_id[line_id].delivered_qty += quantity
    goods_done = all(
        ln.delivered_qty == ln.quantity for ln in all_lines if ln.product_type == "STOCKABLE"
    )
    if goods_done:
        for ln in all_lines:
            if ln.product_type != "STOCKABLE":
                wanted.setdefault(ln.id, ln.quantity - ln.delivered_qty)
                ln.delivered_qty = ln.quantity
    if not any(q > 0 for q in wanted.values()):
        raise InvalidInput.one("input.id", "NOTHING_TO_DELIVER", "Everything is delivered")
    order.status = "DELIVERED" if goods_done else "PARTIALLY_DELIVERED"
    await session.flush()
    await emit(
        session,
        tenant,
        type="order.delivered",
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "complete": goods_done,
            "lines": [
                {"lineId": str(k), "productId": str(by_id[k].product_id), "quantity": str(v)}
                for k, v in wanted.items()
                if v > 0
            ],
        },
    )
    return order


async def cancel_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> SalesOrder:
    """Cancel and release the order's reservations; refused once anything is delivered."""
    order = await get_order(session, tenant, order_id, lock=True)
    if order.status == "CANCELLED":
        raise InvalidInput.one("input.id", "INVALID_STATE", "The order is already cancelled")
    lines = await order_lines(session, tenant, order.id)
    if any(ln.delivered_qty > 0 for ln in lines):
        raise InvalidInput.one(
            "input.id", "ALREADY_DELIVERED", "Goods were delivered: return them instead"
        )
    if order.status in OPEN:
        await stock.release(session, tenant, demand=_demand(order))
    order.status = "CANCELLED"
    await session.flush()
    return order
