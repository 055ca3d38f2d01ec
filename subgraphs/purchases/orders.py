"""Purchase orders: requests for quotation, their lines, sending and cancelling.
Approval and confirmation live in `approval.py`, receipts in `receipts.py`, vendor bills
and payments in `bills.py`. Services never commit: the caller's unit of work does.
Problems name paths relative to each function's own arguments (`orderId`,
`lines.2.quantity`).

Quantities are rounded up to the supplier's minimum and order multiple (`prices.quote`);
a unit cost not given comes from the supplier's best valid price. Amounts are Decimal:
a line's untaxed amount is quantity x unit cost rounded to cents half-up, its tax is
untaxed x tax percent / 100 rounded to cents half-up, and an order's amounts are the sums
of its rounded lines.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import MAX_AMOUNT, Checks
from subgraphs.purchases import prices
from subgraphs.purchases.models import (
    EDITABLE,
    ApprovalStatus,
    BillingStatus,
    DocumentKind,
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    VendorBill,
)
from subgraphs.purchases.numbering import next_number
from subgraphs.purchases.suppliers import orderable_supplier
from subgraphs.stock import api as stock

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_LINES = 200


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(
    quantity: Decimal, unit_cost: Decimal, tax_percent: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(untaxed, tax, total) of one line, rounded as the module docstring says."""
    untaxed = cents(quantity * unit_cost)
    tax = cents(untaxed * tax_percent / HUNDRED)
    return untaxed, tax, untaxed + tax


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class LineInput:
    product_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal | None = None
    tax_percent: Decimal = ZERO
    description: str | None = None


async def lock_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, *, field: str = "orderId"
) -> PurchaseOrder:
    """The order, its row locked: every writer of an order and its lines holds this lock
    first, so concurrent receipts and bills of one order run one after the other."""
    order = await session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.tenant_id == tenant, PurchaseOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise not_found(field, "purchase order")
    return order


async def order_lines(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> list[PurchaseOrderLine]:
    """The order's lines by position, re-read (call after `lock_order`)."""
    rows = await session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.tenant_id == tenant, PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.position)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


def set_totals(order: PurchaseOrder, lines: Sequence[PurchaseOrderLine]) -> None:
    order.untaxed = sum((ln.untaxed for ln in lines), ZERO)
    order.tax = sum((ln.tax for ln in lines), ZERO)
    order.total = order.untaxed + order.tax


@dataclass(frozen=True, slots=True)
class _Built:
    lines: list[PurchaseOrderLine]
    lead_time_days: int


async def _build_lines(
    session: AsyncSession,
    tenant: TenantId,
    *,
    supplier: Supplier | None,
    currency: str | None,
    on: dt.date,
    lines: Sequence[LineInput],
    checks: Checks,
) -> _Built:
    if not lines:
        checks.add("lines", Code.REQUIRED, "An order needs at least one line")
        return _Built([], 0)
    if len(lines) > MAX_LINES:
        checks.add("lines", Code.TOO_MANY, f"At most {MAX_LINES} lines")
        return _Built([], 0)
    wanted = list({ln.product_id for ln in lines})
    products = await stock.products_by_id(session, tenant, wanted)
    tiers = (
        await prices.prices_of(session, tenant, product_ids=wanted, supplier_id=supplier.id)
        if supplier is not None
        else {}
    )
    built: list[PurchaseOrderLine] = []
    lead = supplier.lead_time_days if supplier is not None else 0
    for i, ln in enumerate(lines):
        before = len(checks.problems)
        at = checks.at("lines", i)
        product = products.get(ln.product_id)
        if product is None:
            at.extend(not_found("productId", "product"))
        elif not product.active:
            at.add("productId", Code.ARCHIVED, "The product is archived")
        at.positive("quantity", ln.quantity)
        if ln.unit_cost is not None:
            at.non_negative("unitCost", ln.unit_cost)
        at.decimal_range("taxPercent", ln.tax_percent, ZERO, HUNDRED)
        at.precision("taxPercent", ln.tax_percent)
        description = at.optional("description", ln.description, limit=2000)
        if len(checks.problems) > before or product is None or supplier is None or currency is None:
            continue
        offer = prices.quote(tiers.get(product.id, []), ln.quantity, on, currency)
        unit_cost = ln.unit_cost if ln.unit_cost is not None else offer.unit_cost
        if unit_cost is None:
            at.add(
                "unitCost",
                Code.REQUIRED,
                f"The supplier has no valid {currency} price for this product; give a unit cost",
            )
            continue
        if offer.tier is not None and offer.tier.lead_time_days is not None:
            lead = max(lead, offer.tier.lead_time_days)
        untaxed, tax, total = line_amounts(offer.quantity, unit_cost, ln.tax_percent)
        if offer.quantity > MAX_AMOUNT or total > MAX_AMOUNT:
            at.add("quantity", Code.OUT_OF_RANGE, "The line's quantity or amount is too large")
            continue
        built.append(
            PurchaseOrderLine(
                tenant_id=tenant,
                id=uuid.uuid4(),
                position=i + 1,
                product_id=product.id,
                description=description or product.name,
                quantity=offer.quantity,
                unit_cost=unit_cost,
                tax_percent=ln.tax_percent,
                untaxed=untaxed,
                tax=tax,
                total=total,
                received_qty=ZERO,
                billed_qty=ZERO,
                cancelled_qty=ZERO,
            )
        )
    if sum((ln.total for ln in built), ZERO) > MAX_AMOUNT:
        checks.add("lines", Code.OUT_OF_RANGE, "The order's total is too large")
    return _Built(built, lead)


async def _default_warehouse(
    session: AsyncSession, tenant: TenantId, warehouse_id: uuid.UUID | None, checks: Checks
) -> uuid.UUID | None:
    if warehouse_id is None:
        page = await stock.list_warehouses(session, tenant, first=1, after=None)
        if not page.rows:
            checks.add("warehouseId", Code.REQUIRED, "Create a warehouse first")
            return None
        return page.rows[0].id
    if warehouse_id not in await stock.warehouses_by_id(session, tenant, [warehouse_id]):
        checks.extend(not_found("warehouseId", "warehouse"))
        return None
    return warehouse_id


async def create_purchase_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    supplier_id: uuid.UUID,
    lines: Sequence[LineInput],
    currency: str | None = None,
    order_date: dt.date | None = None,
    expected_date: dt.date | None = None,
    warehouse_id: uuid.UUID | None = None,
    notes: str = "",
    actor: uuid.UUID | None = None,
) -> PurchaseOrder:
    """A request for quotation. The currency defaults to the supplier's, the warehouse
    to the tenant's first by code, the expected date to the order date plus the longest
    lead time of the supplier and its price tiers."""
    checks = Checks()
    supplier = None
    try:
        supplier = await orderable_supplier(session, tenant, supplier_id)
    except InvalidInput as exc:
        checks.extend(exc)
    if currency is not None:
        currency = checks.currency("currency", currency)
    elif supplier is not None:
        currency = supplier.currency
    day = order_date or today()
    checks.period("expectedDate", day, expected_date)
    notes = checks.optional("notes", notes, limit=4000) or ""
    warehouse = await _default_warehouse(session, tenant, warehouse_id, checks)
    built = await _build_lines(
        session, tenant, supplier=supplier, currency=currency, on=day, lines=lines, checks=checks
    )
    checks.raise_any()
    assert supplier is not None
    assert currency is not None
    assert warehouse is not None
    order = PurchaseOrder(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, DocumentKind.ORDER, day),
        supplier_id=supplier.id,
        warehouse_id=warehouse,
        currency=currency,
        order_date=day,
        expected_date=expected_date or day + dt.timedelta(days=built.lead_time_days),
        status=OrderState.RFQ,
        billing_status=BillingStatus.NOT_BILLED,
        approval_status=ApprovalStatus.NOT_REVIEWED,
        notes=notes,
        created_by=actor,
    )
    set_totals(order, built.lines)
    session.add(order)
    await session.flush()
    for line in built.lines:
        line.order_id = order.id
    session.add_all(built.lines)
    await session.flush()
    return order


def _editable(order: PurchaseOrder) -> None:
    if order.status not in EDITABLE:
        raise InvalidInput.one(
            "orderId", Code.NOT_EDITABLE, f"A {order.status} order cannot be changed"
        )


async def update_purchase_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    order_id: uuid.UUID,
    lines: Sequence[LineInput] | None = None,
    expected_date: dt.date | None = None,
    notes: str | None = None,
) -> PurchaseOrder:
    """Change a request for quotation. New lines replace the old ones and void an
    approval (the approver saw other amounts)."""
    order = await lock_order(session, tenant, order_id)
    _editable(order)
    checks = Checks()
    checks.period("expectedDate", order.order_date, expected_date)
    if notes is not None:
        notes = checks.optional("notes", notes, limit=4000) or ""
    built = None
    if lines is not None:
        supplier = await session.get(Supplier, (tenant, order.supplier_id))
        built = await _build_lines(
            session,
            tenant,
            supplier=supplier,
            currency=order.currency,
            on=order.order_date,
            lines=lines,
            checks=checks,
        )
    checks.raise_any()
    if expected_date is not None:
        order.expected_date = expected_date
    if notes is not None:
        order.notes = notes
    if built is not None:
        await session.execute(
            delete(PurchaseOrderLine).where(
                PurchaseOrderLine.tenant_id == tenant, PurchaseOrderLine.order_id == order.id
            )
        )
        for line in built.lines:
            line.order_id = order.id
        session.add_all(built.lines)
        set_totals(order, built.lines)
        if order.approval_status == ApprovalStatus.APPROVED:
            order.approval_status = ApprovalStatus.NOT_REVIEWED
            order.approved_by = None
            order.approved_at = None
    order.updated_at = now()
    await session.flush()
    return order


async def send_purchase_order(
    session: AsyncSession, tenant: TenantId, *, order_id: uuid.UUID
) -> PurchaseOrder:
    """The request for quotation went to the supplier."""
    order = await lock_order(session, tenant, order_id)
    if order.status != OrderState.RFQ:
        raise InvalidInput.one(
            "orderId", Code.INVALID_TRANSITION, f"A {order.status} order cannot be sent"
        )
    order.status = OrderState.SENT
    order.sent_at = order.updated_at = now()
    await session.flush()
    return order


async def cancel_purchase_order(
    session: AsyncSession, tenant: TenantId, *, order_id: uuid.UUID
) -> PurchaseOrder:
    """Cancel an order nothing was received or billed against (a partly received order
    is closed instead: `receipts.close_purchase_order`)."""
    order = await lock_order(session, tenant, order_id)
    allowed = (*EDITABLE, OrderState.CONFIRMED)
    if order.status not in allowed:
        raise InvalidInput.one(
            "orderId", Code.INVALID_TRANSITION, f"A {order.status} order cannot be cancelled"
        )
    bills = await session.scalar(
        select(func.count())
        .select_from(VendorBill)
        .where(VendorBill.tenant_id == tenant, VendorBill.order_id == order.id)
    )
    if bills:
        raise InvalidInput.one(
            "orderId", Code.INVALID_STATE, "The order has vendor bills; it cannot be cancelled"
        )
    order.status = OrderState.CANCELLED
    order.cancelled_at = order.updated_at = now()
    await session.flush()
    return order
