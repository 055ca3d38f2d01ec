"""Work orders: one per BOM operation of a confirmed order, PENDING → READY →
IN_PROGRESS → DONE in sequence order (equal sequences run in parallel). The order is in
progress from the moment its first work order starts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.production.models import (
    OrderStatus,
    ProductionOrder,
    WorkCenter,
    WorkOrder,
    WorkOrderStatus,
    q4,
)
from subgraphs.production.orders import lock_order

MAX_MINUTES = Decimal(10**7)


async def _locked(
    session: AsyncSession, tenant: TenantId, work_order_id: uuid.UUID
) -> tuple[ProductionOrder, WorkOrder, list[WorkOrder]]:
    """The work order and all of its order's, with the order row locked first (the same
    lock order as every other transition of the order)."""
    found = await session.scalar(
        select(WorkOrder.order_id).where(
            WorkOrder.tenant_id == tenant, WorkOrder.id == work_order_id
        )
    )
    if found is None:
        raise not_found("id", "work order")
    order = await lock_order(session, tenant, found)
    siblings = list(
        (
            await session.scalars(
                select(WorkOrder)
                .where(WorkOrder.tenant_id == tenant, WorkOrder.order_id == found)
                .order_by(WorkOrder.sequence, WorkOrder.name)
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    return order, next(w for w in siblings if w.id == work_order_id), siblings


def _state(work_order: WorkOrder, action: str) -> InvalidInput:
    return InvalidInput.one(
        "id",
        Code.INVALID_STATE,
        f"A {work_order.status.lower().replace('_', ' ')} work order cannot be {action}",
    )


async def start_work_order(
    session: AsyncSession, tenant: TenantId, work_order_id: uuid.UUID
) -> WorkOrder:
    order, work_order, _ = await _locked(session, tenant, work_order_id)
    if order.status == OrderStatus.BLOCKED:
        raise InvalidInput.one(
            "id", Code.QUALITY_BLOCKED, "A failed quality check blocks the order"
        )
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.IN_PROGRESS):
        raise InvalidInput.one(
            "id", Code.INVALID_STATE, f"The order is {order.status.lower().replace('_', ' ')}"
        )
    if work_order.status != WorkOrderStatus.READY:
        raise _state(work_order, "started")
    now = dt.datetime.now(dt.UTC)
    work_order.status = WorkOrderStatus.IN_PROGRESS
    work_order.started_at = now
    if order.status == OrderStatus.CONFIRMED:
        order.status = OrderStatus.IN_PROGRESS
        order.started_at = now
        metrics.count(session, metrics.PRODUCTION_TRANSITIONS, OrderStatus.IN_PROGRESS.value)
    await session.flush()
    return work_order


async def finish_work_order(
    session: AsyncSession,
    tenant: TenantId,
    work_order_id: uuid.UUID,
    *,
    actual_minutes: Decimal | None = None,
) -> WorkOrder:
    """Done, with the actual minutes (the time since it started unless given) costed at
    the work center's hourly rate; the next sequence becomes READY."""
    checks = Checks()
    if actual_minutes is not None:
        checks.non_negative("actualMinutes", actual_minutes)
        checks.decimal_range("actualMinutes", actual_minutes, Decimal(0), MAX_MINUTES)
    checks.raise_any()
    _, work_order, siblings = await _locked(session, tenant, work_order_id)
    if work_order.status != WorkOrderStatus.IN_PROGRESS:
        raise _state(work_order, "finished")
    now = dt.datetime.now(dt.UTC)
    if actual_minutes is None:
        assert work_order.started_at is not None
        actual_minutes = Decimal((now - work_order.started_at).total_seconds()) / 60
    center = (await batch.by_id(session, WorkCenter, tenant, [work_order.work_center_id]))[
        work_order.work_center_id
    ]
    work_order.actual_minutes = q4(actual_minutes)
    work_order.cost = q4(work_order.actual_minutes * center.cost_per_hour / 60)
    work_order.status = WorkOrderStatus.DONE
    work_order.finished_at = now
    open_ = [w for w in siblings if w.status != WorkOrderStatus.DONE]
    if open_:
        nxt = min(w.sequence for w in open_)
        for w in open_:
            if w.sequence == nxt and w.status == WorkOrderStatus.PENDING:
                w.status = WorkOrderStatus.READY
    await session.flush()
    return work_order


async def get_work_order(
    session: AsyncSession, tenant: TenantId, work_order_id: uuid.UUID
) -> WorkOrder:
    row = (await batch.by_id(session, WorkOrder, tenant, [work_order_id])).get(work_order_id)
    if row is None:
        raise not_found("id", "work order")
    return row
