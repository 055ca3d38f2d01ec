"""Deliveries: goods leave through stock's `deliver`, consuming the order's reservation
first. Also the line quantities that deliveries and returns name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.sales.events import SalesEvent
from subgraphs.sales.models import OPEN, OrderState, SalesOrder, SalesOrderLine
from subgraphs.sales.orders import (
    ZERO,
    demand_of,
    get_order,
    is_stockable,
    onto_lines,
    order_lines,
    require_state,
    short_of_stock,
)
from subgraphs.stock import api as stock


@dataclass(frozen=True, slots=True)
class LineQuantity:
    line_id: uuid.UUID
    quantity: Decimal


def line_quantities(
    lines: Sequence[LineQuantity],
    by_id: dict[uuid.UUID, SalesOrderLine],
    remaining: dict[uuid.UUID, Decimal],
    *,
    exceeded: tuple[Code, str],
    stockable_only: bool,
    checks: Checks,
) -> dict[uuid.UUID, Decimal]:
    """The quantity wanted per order line, checked against what `remaining` allows; the
    problems go to `checks` at `lines.{i}.…`."""
    wanted: dict[uuid.UUID, Decimal] = {}
    for i, lq in enumerate(lines):
        at = checks.at("lines", i)
        line = by_id.get(lq.line_id)
        if line is None:
            at.extend(not_found("lineId", "line on this order"))
            continue
        if lq.line_id in wanted:
            at.add("lineId", Code.DUPLICATE, "Name each line once")
            continue
        if stockable_only and not is_stockable(line):
            at.add(
                "lineId",
                Code.NOT_STOCKABLE,
                f"Line {line.position} is a {line.product_type.lower()} product: it has no "
                "stock to move and counts as delivered with the order's goods",
            )
            continue
        before = len(checks.problems)
        at.positive("quantity", lq.quantity)
        if len(checks.problems) == before and lq.quantity > remaining[line.id]:
            code, what = exceeded
            at.add(
                "quantity",
                code,
                f"Line {line.position}: at most {remaining[line.id].normalize():f} {what}",
            )
        wanted[lq.line_id] = lq.quantity
    return wanted


async def deliver_sales_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    lines: Sequence[LineQuantity] | None = None,
    actor: uuid.UUID | None = None,
) -> SalesOrder:
    """Deliver the given quantities of stockable lines, or without `lines` what the order
    holds reserved: a backordered order ships its reserved part and stays PARTIALLY
    DELIVERED with the rest open (waiting for stock, or cancelled by `close_sales_order`).

    Service and consumable lines have no stock: they count as delivered once every
    stockable line is.
    """
    order = await get_order(session, tenant, order_id, lock=True)
    require_state(order, OPEN, Code.INVALID_STATE, "Only confirmed orders can be delivered")
    all_lines = await order_lines(session, tenant, order.id)
    by_id = {ln.id: ln for ln in all_lines}
    remaining = {ln.id: ln.quantity - ln.delivered_qty for ln in all_lines}
    if lines is None:
        held = await stock.reserved_by_line(
            session, tenant, demand_type=demand_of(order).type, demand_ids=[order.id]
        )
        open_lines = [ln for ln in all_lines if is_stockable(ln) and remaining[ln.id] > 0]
        wanted = {
            ln.id: min(remaining[ln.id], held[(order.id, str(ln.id))])
            for ln in open_lines
            if held.get((order.id, str(ln.id)), ZERO) > 0
        }
        if open_lines and not wanted:
            raise InvalidInput.one(
                "orderId",
                Code.INSUFFICIENT_STOCK,
                f"Nothing of {order.number} is reserved yet: its lines wait for stock",
            )
        positions: list[int | None] = []  # the caller named no lines: all at `orderId`
    else:
        checks = Checks()
        if not lines:
            checks.add("lines", Code.REQUIRED, "Name at least one line")
        wanted = line_quantities(
            lines,
            by_id,
            remaining,
            exceeded=(Code.EXCEEDS_ORDERED, "left to deliver"),
            stockable_only=True,
            checks=checks,
        )
        checks.raise_any()
        positions = list(range(len(wanted)))  # one stock line per named line, in order
    location = await stock.stock_location(session, tenant, order.warehouse_id)
    demand = [
        stock.DemandLine(str(line_id), by_id[line_id].product_id, location, quantity)
        for line_id, quantity in wanted.items()
    ]
    if demand:
        try:
            await stock.deliver(session, tenant, demand=demand_of(order), lines=demand, actor=actor)
        except stock.InsufficientStock as exc:
            ordered: dict[uuid.UUID, Decimal] = {}
            for k, v in wanted.items():
                ordered[by_id[k].product_id] = ordered.get(by_id[k].product_id, ZERO) + v
            raise await short_of_stock(session, tenant, exc, ordered) from None
        except InvalidInput as exc:
            raise onto_lines(exc, positions, "orderId") from None
    for line_id, quantity in wanted.items():
        by_id[line_id].delivered_qty += quantity
    goods_done = all(ln.delivered_qty == ln.quantity for ln in all_lines if is_stockable(ln))
    if goods_done:
        for ln in all_lines:
            if not is_stockable(ln):
                wanted.setdefault(ln.id, ln.quantity - ln.delivered_qty)
                ln.delivered_qty = ln.quantity
    if not any(q > 0 for q in wanted.values()):
        raise InvalidInput.one("orderId", Code.NOTHING_TO_DELIVER, "Everything is delivered")
    order.status = OrderState.DELIVERED if goods_done else OrderState.PARTIALLY_DELIVERED
    await session.flush()
    await emit(
        session,
        tenant,
        type=SalesEvent.ORDER_DELIVERED,
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
