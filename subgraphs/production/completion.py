"""Completing a production order — components consumed and goods produced through stock
in the caller's one transaction, with the cost rolled up — and unbuilding a finished one.

Cost of a completion, exact in Decimal and rounded to 4 places where stored:
  material  = sum of consumed quantity x the average cost stock valued it at
  operation = sum of work orders' actual minutes / 60 x their work center's hourly rate
  each by-product carries `cost_share` percent of material + operation, and the finished
  good's unit cost is the rest divided by the quantity produced (scrap carries no value:
  its cost stays with the good units).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.production.events import AGGREGATE, ProductionEvent
from subgraphs.production.explosion import q4_up
from subgraphs.production.models import (
    HUNDRED,
    NONE,
    OPEN_ORDERS,
    ZERO,
    BillOfMaterials,
    BomByProduct,
    ByProductLine,
    ComponentLine,
    OrderStatus,
    ProductionOrder,
    WorkOrder,
    WorkOrderStatus,
    q4,
)
from subgraphs.production.orders import (
    at_id,
    confirm_order,
    create_order,
    demand_of,
    lock_order,
    release_all,
    state_error,
)
from subgraphs.stock import api as stock

UNBUILD = "ProductionUnbuild"
MAX_LINES = 200


@dataclass(frozen=True, slots=True)
class Consumption:
    """The actual quantity of a product used, overriding what the BOM planned."""

    product_id: uuid.UUID
    quantity: Decimal


def _check_input(
    produced: Decimal | None, scrap: Decimal | None, consumed: Sequence[Consumption]
) -> None:
    checks = Checks()
    if produced is not None:
        checks.positive("producedQuantity", produced)
    if scrap is not None:
        checks.non_negative("scrapQuantity", scrap)
    if len(consumed) > MAX_LINES:
        checks.add("consumed", Code.TOO_MANY, f"At most {MAX_LINES} entries")
    seen: set[uuid.UUID] = set()
    for i, c in enumerate(consumed):
        checks.at("consumed", i).non_negative("quantity", c.quantity)
        if c.product_id in seen:
            checks.at("consumed", i).add("productId", Code.DUPLICATE, "List each product once")
        seen.add(c.product_id)
    checks.raise_any()


async def _labels(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    products = await stock.products_by_id(session, tenant, list(ids))
    return {p: f"{products[p].sku} ({products[p].name})" if p in products else str(p) for p in ids}


async def complete_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    produced_quantity: Decimal | None = None,
    scrap_quantity: Decimal | None = None,
    consumed: Sequence[Consumption] = (),
    actor: uuid.UUID | None = None,
) -> ProductionOrder:
    """Consume the components (the BOM's quantities for what was made, produced plus
    scrap, unless `consumed` says otherwise) and produce the good units and by-products.
    Less made than ordered leaves a confirmed backorder for the rest."""
    _check_input(produced_quantity, scrap_quantity, consumed)
    order = await lock_order(session, tenant, order_id)
    if order.status == OrderStatus.BLOCKED:
        raise InvalidInput.one("id", Code.QUALITY_BLOCKED, "A failed quality check blocks it")
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS):
        raise state_error(order, "completed")
    work_orders = (
        await batch.grouped_by(session, WorkOrder, tenant, WorkOrder.order_id, [order.id])
    ).get(order.id, [])
    still_open = sorted(w.name for w in work_orders if w.status != WorkOrderStatus.DONE)
    if still_open:
        raise InvalidInput.one(
            "id", Code.WORK_ORDERS_OPEN, f"Work orders not done: {', '.join(still_open)}"
        )
    produced = q4(produced_quantity) if produced_quantity is not None else order.quantity
    scrap = q4(scrap_quantity) if scrap_quantity is not None else NONE
    made = produced + scrap
    ref = demand_of(order)

    material = await _consume(session, tenant, order, made, consumed, actor)
    operation = sum((w.cost or ZERO for w in work_orders), ZERO)
    total = material + operation
    bom = (await batch.by_id(session, BillOfMaterials, tenant, [order.bom_id]))[order.bom_id]
    by_products = (
        await batch.grouped_by(
            session,
            BomByProduct,
            tenant,
            BomByProduct.bom_id,
            [order.bom_id],
            order_by=[BomByProduct.position],
        )
    ).get(order.bom_id, [])
    outputs, shared_out = [], ZERO
    for bp in by_products:
        quantity = q4(bp.quantity * produced / bom.quantity)
        share = total * bp.cost_share / HUNDRED
        unit = q4(share / quantity) if quantity > 0 else ZERO
        if quantity > 0:
            shared_out += share
        outputs.append(
            ByProductLine(
                tenant_id=tenant,
                order_id=order.id,
                position=bp.position,
                product_id=bp.product_id,
                quantity=q4(bp.quantity * order.quantity / bom.quantity),
                cost_share=bp.cost_share,
                produced=quantity,
                unit_cost=unit,
            )
        )
    session.add_all(outputs)
    unit_cost = q4((total - shared_out) / produced)
    supply = [stock.SupplyLine(order.product_id, order.location_id, produced, unit_cost)]
    supply += [
        stock.SupplyLine(o.product_id, order.location_id, o.produced, o.unit_cost or ZERO)
        for o in outputs
        if o.produced > 0
    ]
    try:
        await stock.produce(session, tenant, source=ref, lines=supply, actor=actor)
    except InvalidInput as exc:
        raise at_id(exc) from None
    await release_all(session, tenant, order)

    order.status = OrderStatus.DONE
    order.resume_status = None
    metrics.count(session, metrics.PRODUCTION_TRANSITIONS, OrderStatus.DONE.value)
    order.produced_quantity = produced
    order.scrap_quantity = scrap
    order.material_cost = material
    order.operation_cost = q4(operation)
    order.unit_cost = unit_cost
    order.done_at = dt.datetime.now(dt.UTC)
    await session.flush()

    backorder = None
    if order.quantity - made > 0:
        backorder = await create_order(
            session,
            tenant,
            product_id=order.product_id,
            quantity=order.quantity - made,
            warehouse_id=order.warehouse_id,
            bom_id=order.bom_id,
            due_date=order.due_date,
            sales_order_line_id=order.sales_order_line_id,
            actor=actor,
            parent_id=order.parent_id,
            backorder_of_id=order.id,
        )
        await confirm_order(session, tenant, backorder.id, allow_shortage=True, actor=actor)
    if order.parent_id is not None:
        await _reserve_for_parent(session, tenant, order, produced)
    await emit(
        session,
        tenant,
        type=ProductionEvent.DONE,
        aggregate_type=AGGREGATE,
        aggregate_id=order.id,
        payload={
            "orderId": str(order.id),
            "number": order.number,
            "productId": str(order.product_id),
            "producedQuantity": str(q4(produced)),
            "scrapQuantity": str(q4(scrap)),
            "unitCost": str(unit_cost),
            "backorderId": str(backorder.id) if backorder else None,
        },
    )
    return order


async def _consume(
    session: AsyncSession,
    tenant: TenantId,
    order: ProductionOrder,
    made: Decimal,
    consumed: Sequence[Consumption],
    actor: uuid.UUID | None,
) -> Decimal:
    """Consume through stock; returns the material cost."""
    lines = (
        await batch.grouped_by(
            session,
            ComponentLine,
            tenant,
            ComponentLine.order_id,
            [order.id],
            order_by=[ComponentLine.position],
        )
    ).get(order.id, [])
    by_product = {ln.product_id: ln for ln in lines}
    given = {c.product_id: (i, q4(c.quantity)) for i, c in enumerate(consumed)}
    extra = [p for p in given if p not in by_product]
    if extra:
        products = await stock.products_by_id(session, tenant, extra)
        checks = Checks()
        for p in extra:
            at = checks.at("consumed", given[p][0])
            if p not in products:
                at.add("productId", Code.NOT_FOUND, "No product with this id")
            elif products[p].type != stock.ProductType.STOCKABLE:
                at.add("productId", Code.NOT_STOCKABLE, "Only stockable products are consumed")
        checks.raise_any()
        position = max((ln.position for ln in lines), default=-1)
        for p in extra:
            position += 1
            line = ComponentLine(
                tenant_id=tenant,
                order_id=order.id,
                position=position,
                product_id=p,
                quantity=NONE,
                reserved=NONE,
                consumed=NONE,
            )
            session.add(line)
            lines.append(line)
            by_product[p] = line
        await session.flush()

    demand, fields = [], []
    for ln in lines:
        if ln.product_id in given:
            index, quantity = given[ln.product_id]
            fld = f"consumed.{index}.quantity"
        else:
            quantity, fld = q4_up(ln.quantity * made / order.quantity), "id"
        if quantity > 0:
            demand.append(
                stock.DemandLine(str(ln.position), ln.product_id, order.location_id, quantity)
            )
            fields.append(fld)
    if not demand:
        return ZERO
    try:
        moves = await stock.consume(
            session, tenant, demand=demand_of(order), lines=demand, actor=actor
        )
    except stock.InsufficientStock as exc:
        labels = await _labels(session, tenant, [s.product_id for s in exc.shortfalls])
        field_of = {d.product_id: f for d, f in zip(demand, fields, strict=True)}
        raise InvalidInput(
            [
                Problem(
                    field_of.get(s.product_id, "id"),
                    Code.INSUFFICIENT_STOCK,
                    f"{labels[s.product_id]}: {s.requested.normalize():f} to consume, "
                    f"{s.available.normalize():f} available",
                )
                for s in exc.shortfalls
            ]
        ) from None
    except InvalidInput as exc:
        raise at_id(exc) from None
    material = ZERO
    for d, move in zip(demand, moves, strict=True):
        assert move.product_id == d.product_id
        line = by_product[d.product_id]
        line.consumed += d.quantity
        line.unit_cost = move.unit_cost
        material += d.quantity * (move.unit_cost or ZERO)
    await session.flush()
    return q4(material)


async def _reserve_for_parent(
    session: AsyncSession, tenant: TenantId, child: ProductionOrder, produced: Decimal
) -> None:
    """A child order's output is what its parent waits for: reserve it for the parent's
    component line, as far as that line is still unreserved."""
    assert child.parent_id is not None
    parent = await lock_order(session, tenant, child.parent_id)
    if parent.status not in OPEN_ORDERS:
        return
    lines = (
        await batch.grouped_by(session, ComponentLine, tenant, ComponentLine.order_id, [parent.id])
    ).get(parent.id, [])
    line = next((ln for ln in lines if ln.product_id == child.product_id), None)
    if line is None:
        return
    take = min(line.quantity - line.reserved - line.consumed, produced)
    if take <= 0 or parent.location_id != child.location_id:
        return
    demand = stock.DemandLine(str(line.position), line.product_id, parent.location_id, take)
    try:
        await stock.reserve(session, tenant, demand=demand_of(parent), lines=[demand])
    except stock.InsufficientStock:
        return  # taken meanwhile by an earlier reservation: the parent stays short
    line.reserved += take
    await session.flush()


async def unbuild_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    quantity: Decimal | None = None,
    actor: uuid.UUID | None = None,
) -> ProductionOrder:
    """Reverse (part of) a done order: its goods and by-products go back into production
    and its components come out again, at the unit costs recorded when they were
    consumed. The goods must still be in stock."""
    checks = Checks()
    if quantity is not None:
        checks.positive("quantity", quantity)
    checks.raise_any()
    order = await lock_order(session, tenant, order_id)
    if order.status != OrderStatus.DONE:
        raise state_error(order, "unbuilt")
    left = order.produced_quantity - order.unbuilt_quantity
    if left <= 0:
        raise InvalidInput.one("id", Code.ALREADY_DONE, "Everything produced is unbuilt already")
    amount = q4(quantity) if quantity is not None else left
    if amount > left:
        raise InvalidInput.one(
            "quantity", Code.EXCEEDS_PRODUCED, f"At most {left.normalize():f} can be unbuilt"
        )
    ratio = amount / order.produced_quantity
    ref = stock.DocumentRef(UNBUILD, order.id)
    outputs = (
        await batch.grouped_by(session, ByProductLine, tenant, ByProductLine.order_id, [order.id])
    ).get(order.id, [])
    taken = [stock.DemandLine("output", order.product_id, order.location_id, amount)]
    taken += [
        stock.DemandLine(f"by-product.{o.position}", o.product_id, order.location_id, q)
        for o in outputs
        if (q := q4(o.produced * ratio)) > 0
    ]
    try:
        await stock.consume(session, tenant, demand=ref, lines=taken, actor=actor)
    except stock.InsufficientStock as exc:
        labels = await _labels(session, tenant, [s.product_id for s in exc.shortfalls])
        raise InvalidInput(
            [
                Problem(
                    "quantity",
                    Code.INSUFFICIENT_STOCK,
                    f"{labels[s.product_id]}: {s.requested.normalize():f} to take back, "
                    f"{s.available.normalize():f} available",
                )
                for s in exc.shortfalls
            ]
        ) from None
    lines = (
        await batch.grouped_by(
            session,
            ComponentLine,
            tenant,
            ComponentLine.order_id,
            [order.id],
            order_by=[ComponentLine.position],
        )
    ).get(order.id, [])
    returned = [
        stock.SupplyLine(ln.product_id, order.location_id, q, ln.unit_cost)
        for ln in lines
        if ln.unit_cost is not None and (q := q4(ln.consumed * ratio)) > 0
    ]
    if returned:
        await stock.produce(session, tenant, source=ref, lines=returned, actor=actor)
    order.unbuilt_quantity += amount
    await session.flush()
    return order
