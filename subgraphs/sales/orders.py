"""Sales orders: quotations, confirmation (customer check and stock reservation) and
cancellation. Deliveries live in `deliveries.py`, invoices and payments in `invoicing.py`,
returns in `returns.py`; lists and figures in `reads.py` and `analytics.py`. Services
never commit: the caller's unit of work does. Problems name paths relative to each
function's own arguments (`orderId`, `lines.2.quantity`).

Amounts are Decimal throughout. Rounding, documented once here and used everywhere:
a line's untaxed amount is quantity x unit price x (1 - discount/100) rounded to cents
half-up; its tax is untaxed x tax percent/100 rounded to cents half-up; a document's
untaxed, tax and total amounts are the sums of its rounded lines, so lines always add up.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, batch, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.outbox import emit
from shared.validation import Checks, date_problem
from subgraphs.crm import api as crm
from subgraphs.sales import credit, rates, settings
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.models import (
    EDITABLE,
    OPEN,
    DocumentKind,
    InvoicingStatus,
    OrderState,
    SalesOrder,
    SalesOrderLine,
    TaxRate,
)
from subgraphs.sales.numbering import next_number
from subgraphs.stock import api as stock

ZERO = Decimal(0)
CENT = Decimal("0.01")


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


def check_date(checks: Checks, field: str, value: dt.date) -> None:
    """OUT_OF_RANGE at `field` for a date no document may carry (see `date_problem`)."""
    if (why := date_problem(value)) is not None:
        checks.add(field, Code.OUT_OF_RANGE, why)


def is_stockable(line: SalesOrderLine) -> bool:
    return line.product_type == stock.ProductType.STOCKABLE


class OrderShortOfStock(InvalidInput):
    """Stock cannot cover the order; names every short product. Nothing was written."""

    def __init__(self, problems: Sequence[Problem], product_ids: Sequence[uuid.UUID]) -> None:
        super().__init__(problems)
        self.product_ids = list(product_ids)


def onto_lines(exc: InvalidInput, positions: Sequence[int | None], field: str) -> InvalidInput:
    """Stock's problems at `lines.{j}.…` of the stock lines we built, on the caller's
    arguments: stock line j came from the caller's `lines.{positions[j]}` (its quantity is
    the caller's quantity; anything else is about the line as a whole, `lineId`); a
    problem of a line the caller did not name, or of none, goes to `field`."""

    def moved(path: str | None) -> str:
        head, _, rest = (path or "").partition(".")
        index, _, leaf = rest.partition(".")
        if head != "lines" or not index.isdigit() or int(index) >= len(positions):
            return field
        position = positions[int(index)]
        if position is None:
            return field
        return f"lines.{position}.{'quantity' if leaf == 'quantity' else 'lineId'}"

    problems = [replace(p, field=moved(p.field)) for p in exc.problems]
    result = InvalidInput(list(dict.fromkeys(problems)))
    result.__cause__ = exc
    return result


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
    session: AsyncSession,
    tenant: TenantId,
    lines: Sequence[LineInput],
    checks: Checks,
    *,
    currency: str,
    on: dt.date,
) -> list[SalesOrderLine]:
    """Order lines in `currency`: a unit price not given is the product's sales price
    converted from the product's currency at the rate of `on` (the order date), half-up
    to cents; the line keeps the price's currency and the rate used."""
    if not lines:
        checks.add("lines", Code.REQUIRED, "An order needs at least one line")
        return []
    products = await stock.products_by_id(session, tenant, list({ln.product_id for ln in lines}))
    wanted_rates = list({ln.tax_rate_id for ln in lines if ln.tax_rate_id is not None})
    tax_rates = await batch.by_id(session, TaxRate, tenant, wanted_rates)
    built = []
    for i, ln in enumerate(lines):
        at = checks.at("lines", i)
        product = products.get(ln.product_id)
        if product is None:
            at.extend(not_found("productId", "product"))
        elif not product.active:
            at.add("productId", Code.ARCHIVED, "The product is archived")
        at.positive("quantity", ln.quantity)
        if ln.unit_price is not None:
            at.non_negative("unitPrice", ln.unit_price)
        at.decimal_range("discountPercent", ln.discount_percent, ZERO, Decimal(100))
        rate = tax_rates.get(ln.tax_rate_id) if ln.tax_rate_id is not None else None
        if ln.tax_rate_id is not None and rate is None:
            at.extend(not_found("taxRateId", "tax rate"))
        if not checks.ok or product is None:
            continue
        price_currency, price_rate = None, None
        if ln.unit_price is not None:
            unit_price = ln.unit_price
        else:
            price_currency = product.currency
            try:
                price_rate = await rates.cross_rate(
                    session,
                    tenant,
                    source=product.currency,
                    target=currency,
                    on=on,
                    field="productId",
                )
            except rates.ExchangeRateMissing as exc:
                at.extend(exc)
                continue
            unit_price = cents(product.sales_price * price_rate)
        tax_percent = rate.percent if rate is not None else ZERO
        # quantity x price first: rounding a product past 28 digits would itself fail
        if not at.storable("quantity", ln.quantity * unit_price, "The line's total"):
            continue
        untaxed, tax, total = line_amounts(
            ln.quantity, unit_price, ln.discount_percent, tax_percent
        )
        if not at.storable("quantity", total, "The line's total"):
            continue
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
                discount_percent=ln.discount_percent,
                tax_rate_id=ln.tax_rate_id,
                tax_percent=tax_percent,
                untaxed=untaxed,
                tax=tax,
                total=total,
                price_currency=price_currency,
                price_exchange_rate=price_rate,
                delivered_qty=ZERO,
                returned_qty=ZERO,
                invoiced_qty=ZERO,
            )
        )
    if checks.ok:
        checks.storable("lines", sum((ln.total for ln in built), ZERO), "The order's total")
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
    """A quotation. Unit prices default to the product's sales price in the order's
    currency (see `_build_lines`); the currency to the customer's; the warehouse to the
    tenant's default (`settings.default_warehouse`)."""
    checks = Checks()
    customer = None
    try:
        customer = await crm.get_orderable_customer(session, tenant, customer_id)
    except crm.CustomerNotOrderable as exc:
        checks.extend(exc)
    if currency is not None:
        currency = rates.iso_currency(checks, "currency", currency)
    if order_date is not None:
        check_date(checks, "orderDate", order_date)
    if warehouse_id is None:
        warehouse_id = await settings.default_warehouse(session, tenant)
        if warehouse_id is None:
            checks.add("warehouseId", Code.REQUIRED, "Create a warehouse first")
    elif await stock.warehouse(session, tenant, warehouse_id) is None:
        checks.extend(not_found("warehouseId", "warehouse"))
    day = order_date or today()
    # With a problem already found no price is converted, so the currency may be a stand-in.
    chosen = currency or (customer.currency if customer is not None else None)
    built = await _build_lines(
        session,
        tenant,
        lines,
        checks,
        currency=chosen or await rates.base_currency(session, tenant),
        on=day,
    )
    checks.raise_any()
    assert customer is not None
    assert warehouse_id is not None
    order = SalesOrder(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, DocumentKind.ORDER, day),
        customer_id=customer.id,
        warehouse_id=warehouse_id,
        salesperson_id=salesperson_id,
        currency=currency or customer.currency,
        order_date=day,
        status=OrderState.QUOTATION,
        invoice_status=InvoicingStatus.NOT_INVOICED,
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


# Built once: composing a statement from ORM attributes costs about 0.1 ms of CPU each
# time, a quarter of an order confirmation's own CPU when these were built per call.
_ORDER = (
    select(SalesOrder)
    .where(SalesOrder.tenant_id == bindparam("tenant"), SalesOrder.id == bindparam("id"))
    .execution_options(populate_existing=True)
)
_ORDER_LOCKED = _ORDER.with_for_update()
_LINES = (
    select(SalesOrderLine)
    .where(
        SalesOrderLine.tenant_id == bindparam("tenant"),
        SalesOrderLine.order_id == bindparam("order"),
    )
    .order_by(SalesOrderLine.position)
    .execution_options(populate_existing=True)
)


async def get_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, *, lock: bool = False
) -> SalesOrder:
    """The order, fresh from the database (locked for update with `lock`); NOT_FOUND at
    `orderId` when it is unknown or another tenant's."""
    order = await session.scalar(
        _ORDER_LOCKED if lock else _ORDER, {"tenant": tenant, "id": order_id}
    )
    if order is None:
        raise not_found("orderId", "sales order")
    return order


async def order_lines(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> list[SalesOrderLine]:
    rows = await session.scalars(_LINES, {"tenant": tenant, "order": order_id})
    return list(rows.all())


def require_state(order: SalesOrder, allowed: Sequence[OrderState], code: Code, what: str) -> None:
    if order.status not in allowed:
        raise InvalidInput.one(
            "orderId", code, f"{what} ({order.number} is {order.status.replace('_', ' ')})"
        )


async def update_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineInput] | None = None,
    notes: str | None = None,
    order_date: dt.date | None = None,
    warehouse_id: uuid.UUID | None = None,
) -> SalesOrder:
    """Only quotations (QUOTATION or SENT) are editable; lines, when given, replace all
    (priced on the order's date, the new one if it changes); lines kept keep their prices.
    The warehouse may change until confirmation (nothing is reserved before)."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, EDITABLE, Code.NOT_EDITABLE, "Only quotations can be edited")
    checks = Checks()
    if order_date is not None:
        check_date(checks, "orderDate", order_date)
    if warehouse_id is not None and await stock.warehouse(session, tenant, warehouse_id) is None:
        checks.extend(not_found("warehouseId", "warehouse"))
    built = None
    if lines is not None:
        built = await _build_lines(
            session,
            tenant,
            lines,
            checks,
            currency=order.currency,
            on=order_date or order.order_date,
        )
    checks.raise_any()
    if warehouse_id is not None:
        order.warehouse_id = warehouse_id
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
    require_state(
        order, (OrderState.QUOTATION,), Code.INVALID_STATE, "Only a new quotation can be sent"
    )
    order.status = OrderState.SENT
    await session.flush()
    return order


# --- confirmation and cancellation --------------------------------------------------


def demand_of(order: SalesOrder) -> stock.DocumentRef:
    """The order as stock's demand document: its reservations and deliveries."""
    return stock.DocumentRef("SalesOrder", order.id)


async def short_of_stock(
    session: AsyncSession,
    tenant: TenantId,
    exc: stock.InsufficientStock,
    ordered: dict[uuid.UUID, Decimal],
) -> OrderShortOfStock:
    """Stock's shortfalls in the order's words: each product by SKU and name, with what
    the order needs of it, at `orderId`."""
    ids = list(dict.fromkeys(s.product_id for s in exc.shortfalls))
    products = await stock.products_by_id(session, tenant, ids)
    problems = []
    for s in exc.shortfalls:
        p = products.get(s.product_id)
        label = f"{p.sku} ({p.name})" if p is not None else str(s.product_id)
        problems.append(
            Problem(
                "orderId",
                Code.INSUFFICIENT_STOCK,
                f"{label}: {ordered.get(s.product_id, s.requested).normalize():f} needed, "
                f"{s.available.normalize():f} available",
            )
        )
    return OrderShortOfStock(problems, ids)


def _needs(demand: Sequence[stock.DemandLine]) -> dict[uuid.UUID, Decimal]:
    ordered: dict[uuid.UUID, Decimal] = {}
    for d in demand:
        ordered[d.product_id] = ordered.get(d.product_id, ZERO) + d.quantity
    return ordered


async def confirm_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    allow_backorder: bool = False,
    override_credit_limit: bool = False,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> SalesOrder:
    """Check the customer with CRM, fix the exchange rate, check the credit limit (see
    `credit.py`; `override_credit_limit` skips it: the caller checked the permission),
    reserve every stockable line.

    All or nothing: a shortfall raises `OrderShortOfStock` naming the products, unless
    `allow_backorder`, in which case what is free is reserved and the rest stays open.
    """
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, EDITABLE, Code.INVALID_STATE, "Only quotations can be confirmed")
    try:
        customer = await crm.get_orderable_customer(session, tenant, order.customer_id)
    except crm.CustomerNotOrderable as exc:
        # The customer is the order's: CRM's `customerId` is our `orderId`.
        raise exc.under(None, {"customerId": "orderId"}) from None
    day = on or today()
    rate = await rates.rate_on(session, tenant, order.currency, day)
    if rate is None:
        base = await rates.base_currency(session, tenant)
        raise rates.ExchangeRateMissing("orderId", order.currency, base, day)
    await credit.check_credit(
        session, tenant, order, customer, rate=rate, on=day, override=override_credit_limit
    )
    lines = await order_lines(session, tenant, order.id)
    location = await stock.stock_location(session, tenant, order.warehouse_id)
    demand = [
        stock.DemandLine(str(ln.id), ln.product_id, location, ln.quantity)
        for ln in lines
        if is_stockable(ln)
    ]
    # The order's own writes go first and the reservation last: it locks the stock
    # levels, which other orders of the same products wait for, and they are then held
    # only over the reservation and the COMMIT, not over two more round trips. A
    # shortfall raises, and the transaction (these writes with it) is rolled back.
    order.status = OrderState.CONFIRMED
    order.exchange_rate = rate
    order.confirmed_at = at or dt.datetime.now(dt.UTC)
    await emit(
        session,
        tenant,
        type=SalesEvent.ORDER_CONFIRMED,
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "customerId": str(order.customer_id),
            "currency": order.currency,
            "total": str(order.total),
            "exchangeRate": str(rate),
            "backorder": allow_backorder,
            "creditLimitOverridden": override_credit_limit,
        },
    )
    if demand:
        try:
            # A backorder reserves what is free and leaves the rest as stock's open claims,
            # served oldest first when goods arrive (one statement either way).
            await stock.reserve(
                session, tenant, demand=demand_of(order), lines=demand, backorder=allow_backorder
            )
        except stock.InsufficientStock as exc:
            raise await short_of_stock(session, tenant, exc, _needs(demand)) from None
        except InvalidInput as exc:
            raise onto_lines(exc, (), "orderId") from None
    currency = metrics.currency(order.currency)
    metrics.count(session, metrics.ORDERS_CONFIRMED, currency)
    metrics.count(session, metrics.ORDERS_CONFIRMED_VALUE, currency, amount=float(order.total))
    return order


async def cancel_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> SalesOrder:
    """Cancel and release the order's reservations and claims; refused once anything is
    delivered (`close_sales_order` cancels the rest of a partly delivered order)."""
    order = await get_order(session, tenant, order_id, lock=True)
    if order.status == OrderState.CANCELLED:
        raise InvalidInput.one("orderId", Code.INVALID_STATE, "The order is already cancelled")
    lines = await order_lines(session, tenant, order.id)
    if any(ln.delivered_qty > 0 for ln in lines):
        raise InvalidInput.one(
            "orderId", Code.ALREADY_DELIVERED, "Goods were delivered: return them instead"
        )
    if order.status in OPEN:
        await stock.release(session, tenant, demand=demand_of(order))
    was = {"status": order.status}
    order.status = OrderState.CANCELLED
    await session.flush()
    await audit.record(
        session,
        tenant,
        action=audit.Action.SALES_ORDER_CANCELLED,
        target_type="SalesOrder",
        target_id=order.id,
        before=was,
        after={"status": order.status, "number": order.number},
    )
    return order


async def close_sales_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> SalesOrder:
    """Cancel the rest of a partly delivered order: release its reservations and open
    claims (backorders) and finish it as DELIVERED. What was delivered stays, and can be
    invoiced and returned as before; service lines count as delivered with the goods."""
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(
        order,
        (OrderState.PARTIALLY_DELIVERED,),
        Code.INVALID_STATE,
        "Only a partly delivered order can be closed (cancel one with nothing delivered)",
    )
    lines = await order_lines(session, tenant, order.id)
    await stock.release(session, tenant, demand=demand_of(order))
    for ln in lines:
        if not is_stockable(ln):
            ln.delivered_qty = ln.quantity
    cancelled = {
        str(ln.id): ln.quantity - ln.delivered_qty for ln in lines if ln.quantity > ln.delivered_qty
    }
    order.status = OrderState.DELIVERED
    if any(ln.invoiced_qty > 0 for ln in lines):
        # Imported here: invoicing builds on this module. Invoicing what was delivered
        # may have finished the order's invoicing now that the rest is cancelled.
        from subgraphs.sales.invoicing import refresh_invoice_status

        await refresh_invoice_status(session, tenant, order, lines)
    await session.flush()
    await emit(
        session,
        tenant,
        type=SalesEvent.ORDER_CLOSED,
        aggregate_type="SalesOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "lines": [{"lineId": k, "cancelledQuantity": str(v)} for k, v in cancelled.items()],
        },
    )
    return order
