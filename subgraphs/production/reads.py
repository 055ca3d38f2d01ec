"""Production's reads: lists, the BOM graph and what is computed on it (explosion,
buildable quantity, work-center load), and the batch look-ups dataloaders use. Queries
only, never writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch
from shared.db import TenantId
from shared.errors import BadUserInput
from shared.pagination import Page, SortKey, paginate
from shared.validation import Checks, search_term
from subgraphs.production.explosion import Graph, Node, Part, Requirement, buildable, requirements
from subgraphs.production.models import (
    OPEN_ORDERS,
    ZERO,
    BillOfMaterials,
    BomComponent,
    BomKind,
    CheckKind,
    OrderStatus,
    ProductionOrder,
    QualityCheckTemplate,
    WorkCenter,
    WorkOrder,
    WorkOrderStatus,
    q4,
)
from subgraphs.stock import api as stock

MAX_LOAD_DAYS = 366

# --- the BOM graph ------------------------------------------------------------------

_GRAPH = sql(
    """
WITH RECURSIVE reach(product_id) AS (
    SELECT unnest(CAST(:ids AS uuid[]))
  UNION
    SELECT c.product_id
    FROM reach r
    JOIN production.bill_of_materials b
      ON b.tenant_id = :tenant AND b.product_id = r.product_id AND b.active
    JOIN production.bom_component c ON c.tenant_id = b.tenant_id AND c.bom_id = b.id
)
SELECT b.id AS bom_id, b.product_id, b.kind, b.quantity AS bom_quantity,
       c.product_id AS part_id, c.quantity, c.scrap_percent
FROM reach r
JOIN production.bill_of_materials b
  ON b.tenant_id = :tenant AND b.product_id = r.product_id AND b.active
JOIN production.bom_component c ON c.tenant_id = b.tenant_id AND c.bom_id = b.id
ORDER BY b.product_id, c.position
"""
)


async def bom_graph(
    session: AsyncSession, tenant: TenantId, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Node]:
    """The active BOM of every product reachable from `product_ids` through active BOMs,
    in one statement however deep the structure goes."""
    if not product_ids:
        return {}
    rows = await session.execute(_GRAPH, {"ids": list(set(product_ids)), "tenant": tenant})
    heads: dict[uuid.UUID, tuple[uuid.UUID, BomKind, Decimal]] = {}
    parts: dict[uuid.UUID, list[Part]] = defaultdict(list)
    for r in rows.all():
        heads[r.product_id] = (r.bom_id, BomKind(r.kind), r.bom_quantity)
        parts[r.product_id].append(Part(r.part_id, r.quantity, r.scrap_percent))
    return {
        p: Node(bom_id, p, kind, quantity, tuple(parts[p]))
        for p, (bom_id, kind, quantity) in heads.items()
    }


async def bom_node(session: AsyncSession, tenant: TenantId, bom_id: uuid.UUID) -> Node | None:
    """One BOM (active or not) as a graph node."""
    bom = (await batch.by_id(session, BillOfMaterials, tenant, [bom_id])).get(bom_id)
    if bom is None:
        return None
    rows = (
        await batch.grouped_by(
            session,
            BomComponent,
            tenant,
            BomComponent.bom_id,
            [bom_id],
            order_by=[BomComponent.position],
        )
    ).get(bom_id, [])
    parts = tuple(Part(c.product_id, c.quantity, c.scrap_percent) for c in rows)
    return Node(bom.id, bom.product_id, BomKind(bom.kind), bom.quantity, parts)


async def available(
    session: AsyncSession,
    tenant: TenantId,
    product_ids: Sequence[uuid.UUID],
    warehouse_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, Decimal]:
    """On hand minus reserved over the internal locations (of one warehouse, if given)."""
    levels = await stock.levels_by_product(session, tenant, list(set(product_ids)))
    return {
        p: sum(
            (r.available for r in rows if warehouse_id is None or r.warehouse_id == warehouse_id),
            ZERO,
        )
        for p, rows in levels.items()
    }


def _parts_of(graph: Graph) -> set[uuid.UUID]:
    return {part.product_id for node in graph.values() for part in node.parts}


@dataclass(frozen=True, slots=True)
class Explosion:
    product_id: uuid.UUID
    quantity: Decimal
    warehouse_id: uuid.UUID | None
    lines: list[Requirement] = field(default_factory=list)


def check_quantity(quantity: Decimal, argument: str = "quantity") -> None:
    """A query argument's quantity: a GraphQL error, since queries carry no payload."""
    checks = Checks()
    checks.positive(argument, quantity)
    if checks.problems:
        raise BadUserInput(checks.problems[0].message, argument=argument)


async def bom_explosion(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    quantity: Decimal,
    warehouse_id: uuid.UUID | None = None,
) -> Explosion | None:
    """The flattened multi-level requirement of making `quantity`; None without an
    active BOM (or for another tenant's product)."""
    check_quantity(quantity)
    graph = await bom_graph(session, tenant, [product_id])
    if product_id not in graph:
        return None
    free = await available(session, tenant, list(_parts_of(graph)), warehouse_id)
    lines = requirements(graph, product_id, quantity, free)
    return Explosion(product_id, q4(quantity), warehouse_id, lines)


BuildableKey = tuple[uuid.UUID, uuid.UUID | None]
"""(product, warehouse or None for all)"""


async def buildable_quantities(
    session: AsyncSession, tenant: TenantId, keys: Sequence[BuildableKey]
) -> dict[BuildableKey, Decimal | None]:
    """`buildable` for many products at once: one graph read and one stock read."""
    graph = await bom_graph(session, tenant, [p for p, _ in keys])
    parts = list(_parts_of(graph))
    levels = await stock.levels_by_product(session, tenant, parts)
    result: dict[BuildableKey, Decimal | None] = {}
    for product_id, warehouse_id in keys:
        free = {
            p: sum(
                (r.available for r in rows if warehouse_id in (None, r.warehouse_id)),
                ZERO,
            )
            for p, rows in levels.items()
        }
        result[(product_id, warehouse_id)] = buildable(graph, product_id, free)
    return result


async def active_boms(
    session: AsyncSession, tenant: TenantId, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BillOfMaterials]:
    rows = await session.scalars(
        select(BillOfMaterials).where(
            BillOfMaterials.tenant_id == tenant,
            BillOfMaterials.product_id.in_(set(product_ids)),
            BillOfMaterials.active,
        )
    )
    return {b.product_id: b for b in rows}


# --- lists --------------------------------------------------------------------------


class OrderSort(StrEnum):
    NUMBER = "NUMBER"
    DUE_DATE = "DUE_DATE"
    CREATED_AT = "CREATED_AT"


_NO_DATE = dt.date(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    statuses: Sequence[OrderStatus] = ()
    product_id: uuid.UUID | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    parent_id: uuid.UUID | None = None
    search: str | None = None


async def list_orders(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: OrderFilter,
    order_by: OrderSort = OrderSort.DUE_DATE,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[ProductionOrder]:
    """Orders without a due date sort after every dated one."""
    f = filter
    stmt = select(ProductionOrder).where(ProductionOrder.tenant_id == tenant)
    if f.statuses:
        stmt = stmt.where(ProductionOrder.status.in_([s.value for s in f.statuses]))
    if f.product_id is not None:
        stmt = stmt.where(ProductionOrder.product_id == f.product_id)
    if f.due_from is not None:
        stmt = stmt.where(ProductionOrder.due_date >= f.due_from)
    if f.due_to is not None:
        stmt = stmt.where(ProductionOrder.due_date <= f.due_to)
    if f.parent_id is not None:
        stmt = stmt.where(ProductionOrder.parent_id == f.parent_id)
    search = search_term(f.search)
    if search:
        stmt = stmt.where(ProductionOrder.number.ilike(f"%{_like(search)}%"))
    if order_by == OrderSort.DUE_DATE:
        due = func.coalesce(ProductionOrder.due_date, _NO_DATE)
        keys = [SortKey(due, descending), SortKey(ProductionOrder.number, descending)]
        return await paginate(
            session,
            stmt,
            keys=keys,
            key_of=lambda o: [o.due_date or _NO_DATE, o.number],
            first=first,
            after=after,
        )
    column = ProductionOrder.number if order_by == OrderSort.NUMBER else ProductionOrder.created_at
    return await paginate(
        session,
        stmt,
        keys=[SortKey(column, descending), SortKey(ProductionOrder.id, descending)],
        key_of=lambda o: [getattr(o, column.key), o.id],
        first=first,
        after=after,
    )


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class WorkOrderSort(StrEnum):
    PLANNED_DATE = "PLANNED_DATE"
    SEQUENCE = "SEQUENCE"


@dataclass(frozen=True, slots=True)
class WorkOrderFilter:
    statuses: Sequence[WorkOrderStatus] = ()
    work_center_id: uuid.UUID | None = None
    production_order_id: uuid.UUID | None = None


async def list_work_orders(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: WorkOrderFilter,
    order_by: WorkOrderSort = WorkOrderSort.PLANNED_DATE,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[WorkOrder]:
    stmt = select(WorkOrder).where(WorkOrder.tenant_id == tenant)
    if filter.statuses:
        stmt = stmt.where(WorkOrder.status.in_([s.value for s in filter.statuses]))
    if filter.work_center_id is not None:
        stmt = stmt.where(WorkOrder.work_center_id == filter.work_center_id)
    if filter.production_order_id is not None:
        stmt = stmt.where(WorkOrder.order_id == filter.production_order_id)
    first_key = WorkOrder.planned_date if order_by == WorkOrderSort.PLANNED_DATE else None
    keys = [SortKey(WorkOrder.sequence, descending), SortKey(WorkOrder.id, descending)]
    if first_key is not None:
        keys.insert(0, SortKey(first_key, descending))
    return await paginate(
        session,
        stmt,
        keys=keys,
        key_of=lambda w: ([w.planned_date] if first_key is not None else []) + [w.sequence, w.id],
        first=first,
        after=after,
    )


class WorkCenterSort(StrEnum):
    CODE = "CODE"
    NAME = "NAME"


async def list_work_centers(
    session: AsyncSession,
    tenant: TenantId,
    *,
    active: bool | None,
    order_by: WorkCenterSort = WorkCenterSort.CODE,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[WorkCenter]:
    stmt = select(WorkCenter).where(WorkCenter.tenant_id == tenant)
    if active is not None:
        stmt = stmt.where(WorkCenter.active == active)
    column = WorkCenter.code if order_by == WorkCenterSort.CODE else WorkCenter.name
    return await paginate(
        session,
        stmt,
        keys=[SortKey(column, descending), SortKey(WorkCenter.id, descending)],
        key_of=lambda w: [getattr(w, column.key), w.id],
        first=first,
        after=after,
    )


class BomSort(StrEnum):
    CREATED_AT = "CREATED_AT"
    VERSION = "VERSION"


@dataclass(frozen=True, slots=True)
class BomFilter:
    product_id: uuid.UUID | None = None
    active: bool | None = None
    kind: BomKind | None = None


async def list_boms(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: BomFilter,
    order_by: BomSort = BomSort.CREATED_AT,
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[BillOfMaterials]:
    stmt = select(BillOfMaterials).where(BillOfMaterials.tenant_id == tenant)
    if filter.product_id is not None:
        stmt = stmt.where(BillOfMaterials.product_id == filter.product_id)
    if filter.active is not None:
        stmt = stmt.where(BillOfMaterials.active == filter.active)
    if filter.kind is not None:
        stmt = stmt.where(BillOfMaterials.kind == filter.kind)
    column = (
        BillOfMaterials.created_at if order_by == BomSort.CREATED_AT else BillOfMaterials.version
    )
    return await paginate(
        session,
        stmt,
        keys=[SortKey(column, descending), SortKey(BillOfMaterials.id, descending)],
        key_of=lambda b: [getattr(b, column.key), b.id],
        first=first,
        after=after,
    )


async def list_templates(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID | None,
    kind: CheckKind | None,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[QualityCheckTemplate]:
    """By name."""
    stmt = select(QualityCheckTemplate).where(QualityCheckTemplate.tenant_id == tenant)
    if product_id is not None:
        stmt = stmt.where(QualityCheckTemplate.product_id == product_id)
    if kind is not None:
        stmt = stmt.where(QualityCheckTemplate.kind == kind)
    return await paginate(
        session,
        stmt,
        keys=[
            SortKey(QualityCheckTemplate.name, descending),
            SortKey(QualityCheckTemplate.id, descending),
        ],
        key_of=lambda t: [t.name, t.id],
        first=first,
        after=after,
    )


# --- work-center load ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadDay:
    work_center_id: uuid.UUID
    date: dt.date
    planned_minutes: Decimal
    capacity_minutes: Decimal

    @property
    def load_percent(self) -> Decimal | None:
        if self.capacity_minutes <= 0:
            return None
        return (self.planned_minutes * 100 / self.capacity_minutes).quantize(Decimal("0.01"))


async def work_center_load(
    session: AsyncSession,
    tenant: TenantId,
    *,
    start: dt.date,
    end: dt.date,
    work_center_id: uuid.UUID | None = None,
) -> list[LoadDay]:
    """Per active work center and day: the planned minutes of work orders not yet done
    (of open orders) against capacity x working hours x 60."""
    days = (end - start).days + 1
    if days < 1 or days > MAX_LOAD_DAYS:
        raise BadUserInput(f"`to` must be 0 to {MAX_LOAD_DAYS - 1} days after `from`")
    centers_stmt = select(WorkCenter).where(WorkCenter.tenant_id == tenant, WorkCenter.active)
    if work_center_id is not None:
        centers_stmt = centers_stmt.where(WorkCenter.id == work_center_id)
    centers = list((await session.scalars(centers_stmt.order_by(WorkCenter.code))).all())
    if not centers:
        return []
    planned = await session.execute(
        select(
            WorkOrder.work_center_id, WorkOrder.planned_date, func.sum(WorkOrder.planned_minutes)
        )
        .join(
            ProductionOrder,
            and_(
                ProductionOrder.tenant_id == WorkOrder.tenant_id,
                ProductionOrder.id == WorkOrder.order_id,
            ),
        )
        .where(
            WorkOrder.tenant_id == tenant,
            WorkOrder.work_center_id.in_([c.id for c in centers]),
            WorkOrder.planned_date.between(start, end),
            WorkOrder.status != WorkOrderStatus.DONE,
            ProductionOrder.status.in_([s.value for s in OPEN_ORDERS]),
        )
        .group_by(WorkOrder.work_center_id, WorkOrder.planned_date)
    )
    minutes = {(wc, day): total for wc, day, total in planned.all()}
    result = []
    for center in centers:
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            hours = center.working_hours[day.weekday()]
            result.append(
                LoadDay(
                    center.id,
                    day,
                    q4(minutes.get((center.id, day), ZERO)),
                    q4(Decimal(center.capacity) * hours * 60),
                )
            )
    return result


# --- look-ups -----------------------------------------------------------------------


async def order(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID
) -> ProductionOrder | None:
    return (await batch.by_id(session, ProductionOrder, tenant, [order_id])).get(order_id)


async def orders_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProductionOrder]:
    return await batch.by_id(session, ProductionOrder, tenant, ids)
