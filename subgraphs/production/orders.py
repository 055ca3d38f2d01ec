"""Production orders: creation (gapless number, the active BOM by default), confirmation
(the BOM exploded one level, components reserved through stock, work orders planned,
child orders for short sub-assemblies) and cancellation.

Every transition locks the order row first, so two requests on one order run one after
the other and the second sees the first's outcome.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.production import reads
from subgraphs.production.events import AGGREGATE, ProductionEvent
from subgraphs.production.explosion import one_level
from subgraphs.production.models import (
    NONE,
    ZERO,
    BillOfMaterials,
    BomKind,
    BomOperation,
    ComponentLine,
    OrderStatus,
    ProductionOrder,
    WorkOrder,
    WorkOrderStatus,
    q4,
)
from subgraphs.production.numbering import next_number
from subgraphs.sales import api as sales
from subgraphs.stock import api as stock

DEMAND = "ProductionOrder"
MAX_DEPTH = 32
_RETRIES = 5


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def demand_of(order: ProductionOrder) -> stock.DocumentRef:
    return stock.DocumentRef(DEMAND, order.id)


def state_error(order: ProductionOrder, action: str) -> InvalidInput:
    return InvalidInput.one(
        "id", Code.INVALID_STATE, f"A {order.status.lower()} order cannot be {action}"
    )


def at_id(exc: InvalidInput, field: str = "id") -> InvalidInput:
    """Another domain's problems about lines we built ourselves: the user's handle on
    them is the order, so they move onto `field`."""
    return InvalidInput([replace(p, field=field) for p in exc.problems])


async def lock_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, field: str = "id"
) -> ProductionOrder:
    row = await session.scalar(
        select(ProductionOrder)
        .where(ProductionOrder.tenant_id == tenant, ProductionOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise not_found(field, "production order")
    return row


async def get_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> ProductionOrder:
    row = await reads.order(session, tenant, order_id)
    if row is None:
        raise not_found("id", "production order")
    return row


async def create_order(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    quantity: Decimal,
    warehouse_id: uuid.UUID,
    bom_id: uuid.UUID | None = None,
    due_date: dt.date | None = None,
    sales_order_line_id: uuid.UUID | None = None,
    actor: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    backorder_of_id: uuid.UUID | None = None,
) -> ProductionOrder:
    """A DRAFT order for `quantity` of the product, made by `bom_id` or else the product's
    active BOM, from and into the warehouse's STOCK location. `sales_order_line_id` links
    a make-to-order demand: a line of an open sales order for the same product (checked on
    the order a user creates; its sub-assemblies and backorders inherit it)."""
    checks = Checks()
    checks.positive("quantity", quantity)
    checks.raise_any()
    if await stock.product(session, tenant, product_id) is None:
        checks.add("productId", Code.NOT_FOUND, "No product with this id")
    if not (await stock.warehouses_by_id(session, tenant, [warehouse_id])).get(warehouse_id):
        checks.add("warehouseId", Code.NOT_FOUND, "No warehouse with this id")
    bom = await _bom_for(session, tenant, checks, product_id, bom_id)
    if sales_order_line_id is not None and parent_id is None and backorder_of_id is None:
        await _check_demand_line(session, tenant, checks, sales_order_line_id, product_id)
    checks.raise_any()
    assert bom is not None
    location = await stock.stock_location(session, tenant, warehouse_id)
    order = ProductionOrder(
        tenant_id=tenant,
        id=uuid.uuid4(),
        number=await next_number(session, tenant, today()),
        product_id=product_id,
        bom_id=bom.id,
        quantity=q4(quantity),
        warehouse_id=warehouse_id,
        location_id=location,
        due_date=due_date,
        status=OrderStatus.DRAFT,
        sales_order_line_id=sales_order_line_id,
        parent_id=parent_id,
        backorder_of_id=backorder_of_id,
        created_by=actor,
    )
    session.add(order)
    await session.flush()
    return order


async def _check_demand_line(
    session: AsyncSession,
    tenant: TenantId,
    checks: Checks,
    line_id: uuid.UUID,
    product_id: uuid.UUID,
) -> None:
    """Make to order only for a line that exists, is of this product and is still wanted."""
    line = (await sales.order_lines_by_id(session, tenant, [line_id])).get(line_id)
    if line is None:
        checks.add("salesOrderLineId", Code.NOT_FOUND, "No sales order line with this id")
        return
    if line.product_id != product_id:
        checks.add("salesOrderLineId", Code.INVALID, "The sales order line is for another product")
        return
    order = await sales.get_order(session, tenant, line.order_id)
    if order.status == sales.OrderState.CANCELLED:
        checks.add(
            "salesOrderLineId", Code.INVALID_STATE, "The sales order line's order is cancelled"
        )


async def _bom_for(
    session: AsyncSession,
    tenant: TenantId,
    checks: Checks,
    product_id: uuid.UUID,
    bom_id: uuid.UUID | None,
) -> BillOfMaterials | None:
    if bom_id is not None:
        bom = (await batch.by_id(session, BillOfMaterials, tenant, [bom_id])).get(bom_id)
        if bom is None:
            checks.add("bomId", Code.NOT_FOUND, "No bill of materials with this id")
        elif bom.product_id != product_id:
            checks.add("bomId", Code.INVALID, "This bill of materials makes another product")
        elif bom.kind == BomKind.PHANTOM:
            checks.add("bomId", Code.INVALID, "A kit is not made; its components are used")
        return bom
    bom = (await reads.active_boms(session, tenant, [product_id])).get(product_id)
    if bom is None or bom.kind == BomKind.PHANTOM:
        checks.add("productId", Code.NO_ACTIVE_BOM, "The product has no active BOM to make it by")
        return None
    return bom


async def confirm_order(
    session: AsyncSession,
    tenant: TenantId,
    order_id: uuid.UUID,
    *,
    allow_shortage: bool = False,
    plan_subassemblies: bool = False,
    actor: uuid.UUID | None = None,
    _depth: int = 0,
) -> ProductionOrder:
    """Explode the BOM one level into component lines (kits into their components) and
    reserve them at the order's location, all or nothing: a shortfall is an
    INSUFFICIENT_STOCK error naming each short product, unless `allow_shortage` (then
    what is free is reserved). With `plan_subassemblies`, a short component that has a
    BOM of its own gets a confirmed child order for what is missing instead."""
    order = await lock_order(session, tenant, order_id)
    if order.status != OrderStatus.DRAFT:
        raise state_error(order, "confirmed")
    node = await reads.bom_node(session, tenant, order.bom_id)
    assert node is not None
    graph = await reads.bom_graph(session, tenant, [p.product_id for p in node.parts])
    planned = one_level(node, graph, order.quantity)
    makeable = set()
    if plan_subassemblies and _depth < MAX_DEPTH:
        makeable = {p for p, n in graph.items() if n.kind == BomKind.NORMAL}
    demand = [stock.DemandLine(str(i), p, order.location_id, q) for i, (p, q) in enumerate(planned)]
    reserved = await reserve(session, tenant, order, demand, allow_shortage, makeable)
    lines = [
        ComponentLine(
            tenant_id=tenant,
            id=uuid.uuid4(),
            order_id=order.id,
            position=i,
            product_id=p,
            quantity=q,
            reserved=q4(reserved.get(p, ZERO)),
            consumed=NONE,
        )
        for i, (p, q) in enumerate(planned)
    ]
    session.add_all(lines)
    await session.flush()
    children = []
    for ln in lines:
        missing = ln.quantity - ln.reserved
        if missing > 0 and ln.product_id in makeable:
            child = await create_order(
                session,
                tenant,
                product_id=ln.product_id,
                quantity=missing,
                warehouse_id=order.warehouse_id,
                bom_id=graph[ln.product_id].bom_id,
                due_date=order.due_date,
                actor=actor,
                parent_id=order.id,
            )
            await confirm_order(
                session,
                tenant,
                child.id,
                allow_shortage=allow_shortage,
                plan_subassemblies=True,
                actor=actor,
                _depth=_depth + 1,
            )
            children.append(child.id)
    await plan_work_orders(session, tenant, order, node.quantity)
    order.status = OrderStatus.CONFIRMED
    order.confirmed_at = dt.datetime.now(dt.UTC)
    metrics.count(session, metrics.PRODUCTION_TRANSITIONS, OrderStatus.CONFIRMED.value)
    await session.flush()
    await emit(
        session,
        tenant,
        type=ProductionEvent.CONFIRMED,
        aggregate_type=AGGREGATE,
        aggregate_id=order.id,
        payload={
            "orderId": str(order.id),
            "number": order.number,
            "productId": str(order.product_id),
            "quantity": str(order.quantity),
            "dueDate": order.due_date.isoformat() if order.due_date else None,
            "shortage": any(ln.reserved < ln.quantity for ln in lines),
            "childOrderIds": [str(c) for c in children],
        },
    )
    return order


async def reserve(
    session: AsyncSession,
    tenant: TenantId,
    order: ProductionOrder,
    demand: Sequence[stock.DemandLine],
    allow_shortage: bool,
    makeable: set[uuid.UUID],
) -> dict[uuid.UUID, Decimal]:
    """Reserve `demand` whole; failing that (and only when every short product may be
    short), what is free. Returns the quantity reserved per product."""
    ref = demand_of(order)
    wanted = [d for d in demand if d.quantity > 0]
    free: dict[uuid.UUID, Decimal] = {}
    for _ in range(_RETRIES):
        try:
            if wanted:
                await stock.reserve(session, tenant, demand=ref, lines=wanted)
            return {d.product_id: d.quantity for d in wanted}
        except stock.InsufficientStock as exc:
            free.update({s.product_id: s.available for s in exc.shortfalls})
            refused = [s for s in exc.shortfalls if s.product_id not in makeable]
            if refused and not allow_shortage:
                raise await short_of_stock(session, tenant, refused) from None
        except InvalidInput as exc:
            raise at_id(exc) from None
        # Someone may take stock between two attempts: plan again on what is left.
        wanted = []
        for d in demand:
            take = min(d.quantity, free.get(d.product_id, d.quantity))
            if take > 0:
                wanted.append(replace(d, quantity=take))
    raise InvalidInput.one("id", Code.INSUFFICIENT_STOCK, "Stock kept changing; try again")


async def short_of_stock(
    session: AsyncSession, tenant: TenantId, shortfalls: Sequence[stock.Shortfall]
) -> InvalidInput:
    """Stock's shortfalls in the order's words: each product by SKU and name."""
    products = await stock.products_by_id(session, tenant, [s.product_id for s in shortfalls])
    problems = []
    for s in shortfalls:
        p = products.get(s.product_id)
        label = f"{p.sku} ({p.name})" if p is not None else str(s.product_id)
        problems.append(
            Problem(
                "id",
                Code.INSUFFICIENT_STOCK,
                f"{label}: {s.requested.normalize():f} needed, {s.available.normalize():f} "
                f"available (short by {s.missing.normalize():f})",
            )
        )
    return InvalidInput(problems)


async def plan_work_orders(
    session: AsyncSession, tenant: TenantId, order: ProductionOrder, bom_quantity: Decimal
) -> list[WorkOrder]:
    """One work order per BOM operation, its minutes scaled to the order's quantity; the
    lowest sequence is READY, the rest wait."""
    operations = (
        await batch.grouped_by(
            session,
            BomOperation,
            tenant,
            BomOperation.bom_id,
            [order.bom_id],
            order_by=[BomOperation.sequence, BomOperation.name],
        )
    ).get(order.bom_id, [])
    if not operations:
        return []
    first = min(op.sequence for op in operations)
    rows = [
        WorkOrder(
            tenant_id=tenant,
            id=uuid.uuid4(),
            order_id=order.id,
            operation_id=op.id,
            sequence=op.sequence,
            name=op.name,
            work_center_id=op.work_center_id,
            status=WorkOrderStatus.READY if op.sequence == first else WorkOrderStatus.PENDING,
            planned_date=order.due_date or today(),
            planned_minutes=q4(op.minutes * order.quantity / bom_quantity),
        )
        for op in operations
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def release_all(session: AsyncSession, tenant: TenantId, order: ProductionOrder) -> None:
    """Give back whatever the order still holds."""
    await stock.release(session, tenant, demand=demand_of(order))
    await session.execute(
        update(ComponentLine)
        .where(ComponentLine.tenant_id == tenant, ComponentLine.order_id == order.id)
        .values(reserved=NONE)
        .execution_options(synchronize_session="fetch")
    )


async def cancel_order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> ProductionOrder:
    """Any order not done can be cancelled; its reservations are released. Child orders
    stay: they may be cancelled on their own."""
    order = await lock_order(session, tenant, order_id)
    if order.status in (OrderStatus.DONE, OrderStatus.CANCELLED):
        raise state_error(order, "cancelled")
    if order.status != OrderStatus.DRAFT:
        await release_all(session, tenant, order)
    order.status = OrderStatus.CANCELLED
    order.resume_status = None
    metrics.count(session, metrics.PRODUCTION_TRANSITIONS, OrderStatus.CANCELLED.value)
    order.cancelled_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return order
