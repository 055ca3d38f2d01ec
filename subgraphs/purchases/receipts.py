"""Receipts: goods arriving against a confirmed order, and closing what will not come.

A receipt posts done stock moves from the supplier into the order's warehouse through
stock's `receive`, valued at the order line's unit cost converted to base currency with
the rate fixed at confirmation (stock averages it into the product's cost). Lines of
products that are not kept in stock are received without a move. The order row is
locked first, so concurrent receipts of one order queue and none can over-receive: a
line takes at most its quantity plus the tenant's over-receipt tolerance.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.purchases.billing import refresh_billing
from subgraphs.purchases.events import PurchaseEvent
from subgraphs.purchases.models import (
    RECEIVABLE,
    DocumentKind,
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
)
from subgraphs.purchases.numbering import next_number
from subgraphs.purchases.orders import HUNDRED, MAX_LINES, ZERO, lock_order, now, order_lines, today
from subgraphs.purchases.policy import get_policy
from subgraphs.stock import api as stock

QUANTUM = Decimal("0.0001")
SOURCE_TYPE = "PurchaseOrder"


def base_unit_cost(unit_cost: Decimal, rate: Decimal) -> Decimal:
    """A unit cost in base currency, as numeric(18,4) stores it (half-up)."""
    return (unit_cost * rate).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def receivable_limit(line: PurchaseOrderLine, tolerance_percent: Decimal) -> Decimal:
    """The most a line may have received in total: its quantity plus the tolerance."""
    return line.quantity * (HUNDRED + tolerance_percent) / HUNDRED


@dataclass(frozen=True, slots=True)
class ReceiptLineInput:
    line_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ReceiptResult:
    order: PurchaseOrder
    receipt: Receipt

    @property
    def id(self) -> uuid.UUID:
        return self.receipt.id


def _wanted(
    lines: Sequence[PurchaseOrderLine],
    given: Sequence[ReceiptLineInput] | None,
    tolerance: Decimal,
) -> list[tuple[int, PurchaseOrderLine, Decimal]]:
    """(input index, order line, quantity) to receive; everything open when not given."""
    if given is None:
        wanted = [(i, ln, ln.open_qty) for i, ln in enumerate(lines) if ln.open_qty > 0]
        if not wanted:
            raise InvalidInput.one(
                "orderId", Code.NOTHING_TO_RECEIVE, "Every line is received already"
            )
        return wanted
    checks = Checks()
    if not given:
        checks.add("lines", Code.REQUIRED, "Name at least one line, or leave lines out")
    if len(given) > MAX_LINES:
        checks.add("lines", Code.TOO_MANY, f"At most {MAX_LINES} lines")
    checks.raise_any()
    by_id = {ln.id: ln for ln in lines}
    seen: set[uuid.UUID] = set()
    wanted = []
    for i, item in enumerate(given):
        before = len(checks.problems)
        at = checks.at("lines", i)
        line = by_id.get(item.line_id)
        if line is None:
            at.extend(not_found("lineId", "line of this order"))
        elif item.line_id in seen:
            at.add("lineId", Code.DUPLICATE, "Name each line once")
        seen.add(item.line_id)
        at.positive("quantity", item.quantity)
        if line is None or len(checks.problems) > before:
            continue
        limit = receivable_limit(line, tolerance)
        if line.received_qty + item.quantity > limit:
            left = max(limit - line.received_qty, ZERO)
            at.add(
                "quantity",
                Code.OVER_RECEIPT,
                f"At most {left.normalize():f} more can be received on line {line.position} "
                f"({line.quantity.normalize():f} ordered, "
                f"{line.received_qty.normalize():f} received)",
            )
            continue
        wanted.append((i, line, item.quantity))
    checks.raise_any()
    return wanted


def _moved(exc: InvalidInput, index: dict[int, int]) -> InvalidInput:
    """Stock's problems about its `lines.k` as problems about our `lines.i`."""

    def path(field: str | None) -> str | None:
        parts = (field or "").split(".")
        if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
            mine = index.get(int(parts[1]))
            if mine is not None:
                return ".".join(["lines", str(mine), *parts[2:]])
        return "orderId"

    moved = InvalidInput([replace(p, field=path(p.field)) for p in exc.problems])
    moved.__cause__ = exc
    return moved


async def receive_purchase_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    order_id: uuid.UUID,
    lines: Sequence[ReceiptLineInput] | None = None,
    received_on: dt.date | None = None,
    actor: uuid.UUID | None = None,
) -> ReceiptResult:
    """Receive the given lines (or everything still open) into the order's warehouse."""
    order = await lock_order(session, tenant, order_id)
    if order.status not in RECEIVABLE:
        raise InvalidInput.one(
            "orderId", Code.INVALID_STATE, f"A {order.status} order takes no receipts"
        )
    assert order.exchange_rate is not None
    policy = await get_policy(session, tenant)
    all_lines = await order_lines(session, tenant, order.id)
    wanted = _wanted(all_lines, lines, policy.receipt_tolerance_percent)
    day = received_on or today()
    products = await stock.products_by_id(session, tenant, [ln.product_id for _, ln, _ in wanted])
    location = await stock.stock_location(session, tenant, order.warehouse_id)
    supply: list[stock.SupplyLine] = []
    index: dict[int, int] = {}
    for i, line, quantity in wanted:
        if products[line.product_id].type == stock.ProductType.STOCKABLE:
            index[len(supply)] = i
            supply.append(
                stock.SupplyLine(
                    line.product_id,
                    location,
                    quantity,
                    base_unit_cost(line.unit_cost, order.exchange_rate),
                )
            )
    if supply:
        try:
            await stock.receive(
                session,
                tenant,
                source=stock.DocumentRef(SOURCE_TYPE, order.id),
                lines=supply,
                actor=actor,
            )
        except InvalidInput as exc:
            raise _moved(exc, index) from None
    receipt = Receipt(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, DocumentKind.RECEIPT, day),
        order_id=order.id,
        received_on=day,
        received_by=actor,
    )
    session.add(receipt)
    await session.flush()
    receipt_lines = []
    for _, line, quantity in wanted:
        line.received_qty += quantity
        receipt_lines.append(
            ReceiptLine(
                tenant_id=tenant,
                id=uuid.uuid4(),
                receipt_id=receipt.id,
                order_line_id=line.id,
                product_id=line.product_id,
                quantity=quantity,
                unit_cost=base_unit_cost(line.unit_cost, order.exchange_rate),
            )
        )
    session.add_all(receipt_lines)
    complete = all(ln.open_qty == 0 for ln in all_lines)
    order.status = OrderState.RECEIVED if complete else OrderState.PARTIALLY_RECEIVED
    order.updated_at = now()
    if complete:
        order.received_at = order.updated_at
    await refresh_billing(session, tenant, order, all_lines)
    await session.flush()
    metrics.count(session, metrics.PURCHASE_RECEIPTS)
    await emit(
        session,
        tenant,
        type=PurchaseEvent.PO_RECEIVED,
        aggregate_type="PurchaseOrder",
        aggregate_id=order.id,
        payload={
            "number": order.number,
            "receiptId": str(receipt.id),
            "complete": complete,
            "lines": [
                {
                    "lineId": str(rl.order_line_id),
                    "productId": str(rl.product_id),
                    "quantity": str(rl.quantity.quantize(QUANTUM)),
                    "unitCost": str(rl.unit_cost),
                }
                for rl in receipt_lines
            ],
        },
    )
    return ReceiptResult(order, receipt)


async def close_purchase_order(
    session: AsyncSession, tenant: TenantId, *, order_id: uuid.UUID
) -> PurchaseOrder:
    """Cancel what a partly received order still expects (the purchase backorder): the
    order is then RECEIVED with the remainder recorded as cancelled per line."""
    order = await lock_order(session, tenant, order_id)
    if order.status != OrderState.PARTIALLY_RECEIVED:
        hint = "; cancel it instead" if order.status == OrderState.CONFIRMED else ""
        raise InvalidInput(
            [
                Problem(
                    "orderId",
                    Code.INVALID_STATE,
                    f"Only a partly received order can be closed (this one is {order.status})"
                    + hint,
                )
            ]
        )
    all_lines = await order_lines(session, tenant, order.id)
    for line in all_lines:
        line.cancelled_qty = line.open_qty
    order.status = OrderState.RECEIVED
    order.closed_at = order.updated_at = now()
    await refresh_billing(session, tenant, order, all_lines)
    await session.flush()
    return order


async def receipt_result(
    session: AsyncSession, tenant: TenantId, receipt_id: uuid.UUID
) -> ReceiptResult:
    """A recorded receipt with its order as it is now (an Idempotency-Key replay)."""
    receipt = await session.get(Receipt, (tenant, receipt_id))
    assert receipt is not None, "a recorded receipt exists"
    order = await session.get(PurchaseOrder, (tenant, receipt.order_id))
    assert order is not None
    return ReceiptResult(order, receipt)
