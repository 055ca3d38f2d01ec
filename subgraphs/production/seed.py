"""Production demo data for `nexo seed --demo`: four work centers, five bills of materials
over stock's demo products (FG-0001 three levels deep, FG-0002 two, FG-0005 a kit), two
quality-check templates and twenty production orders in every state, with child orders,
a backorder and a blocked order.

The two sub-assemblies (SUB-A, made of raw material and bolts; SUB-B, made of SUB-A) are
the demo components with the least free stock, so that one modest FG-0001 order runs
short of SUB-B and gets child orders planned.

Everything goes through the services, so reservations, consumption, production and costs
are what the API would have made of the demo stock (components come from the MAIN
warehouse's demo balances; confirmations reserve what is free). Idempotent: a tenant
that has a BOM is left alone. Due dates count from today.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.production import (
    boms,
    completion,
    orders,
    quality,
    reads,
    workcenters,
    workorders,
)
from subgraphs.production.models import (
    BillOfMaterials,
    BomKind,
    CheckKind,
    WorkOrder,
    WorkOrderStatus,
)
from subgraphs.stock import api as stock

D = Decimal
CENTERS: list[tuple[str, str, int, str, list[str]]] = [
    ("CNC", "CNC machining", 2, "65", ["8", "8", "8", "8", "8", "0", "0"]),
    ("WLD", "Welding", 1, "48", ["8", "8", "8", "8", "6", "0", "0"]),
    ("ASM", "Assembly", 3, "42", ["8", "8", "8", "8", "8", "4", "0"]),
    ("PNT", "Paint shop", 1, "38", ["7.5", "7.5", "7.5", "7.5", "7.5", "0", "0"]),
]
Part = tuple[str, str, str]  # sku, quantity, scrap percent
Op = tuple[int, str, str, str]  # sequence, name, work center, minutes
BOMS: list[tuple[str, str, BomKind, list[Part], list[Op], list[Part]]] = [
    # sku, yields, kind, components, operations, by-products (sku, quantity, cost share)
    ("SUB-A", "1", BomKind.NORMAL, [("RM-0001", "1.5", "2"), ("CP-0002", "4", "0")],
     [(10, "Machine housing", "CNC", "12")], []),
    ("SUB-B", "1", BomKind.NORMAL,
     [("SUB-A", "1", "0"), ("RM-0003", "0.8", "0"), ("CP-0004", "2", "0")],
     [(10, "Weld bracket", "WLD", "20")], []),
    ("FG-0001", "1", BomKind.NORMAL,
     [("SUB-B", "2", "0"), ("RM-0005", "6.5", "5"), ("CP-0001", "12", "0")],
     [(10, "Weld frame", "WLD", "45"), (20, "Assemble", "ASM", "60"),
      (30, "Powder coat", "PNT", "30")],
     [("RM-0040", "0.5", "2")]),
    ("FG-0002", "1", BomKind.NORMAL,
     [("SUB-A", "1", "0"), ("CP-0003", "4", "0"), ("RM-0002", "2", "0")],
     [(10, "Assemble", "ASM", "40"), (20, "Paint", "PNT", "25")], []),
    ("FG-0005", "1", BomKind.PHANTOM,
     [("CP-0005", "1", "0"), ("CP-0006", "2", "0"), ("CP-0007", "4", "0")], [], []),
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Plan:
    """One demo order: how far it goes (`fate`), and how much of it the work covers."""

    sku: str
    quantity: str
    due_in: int
    fate: str
    produced: str | None = None


PLANS = [
    # Done first, while the demo stock is untouched.
    Plan("SUB-A", "4", -6, "DONE"),
    Plan("SUB-B", "2", -4, "DONE"),
    Plan("FG-0002", "4", -2, "DONE", produced="3"),  # leaves a backorder of 1
    Plan("FG-0002", "2", 3, "IN_PROGRESS"),
    Plan("FG-0001", "1", 4, "IN_PROGRESS"),
    Plan("SUB-B", "3", 2, "IN_PROGRESS"),
    Plan("SUB-A", "5", 1, "IN_PROGRESS"),
    Plan("FG-0002", "1", 5, "IN_PROGRESS"),
    Plan("FG-0002", "2", 7, "BLOCKED"),
    Plan("FG-0001", "2", 12, "CANCELLED"),
    Plan("SUB-A", "3", 16, "CANCELLED"),
    Plan("FG-0001", "1", 9, "CONFIRMED"),
    Plan("FG-0002", "2", 11, "CONFIRMED"),
    Plan("SUB-A", "4", 6, "CONFIRMED"),
    # Confirmed with child orders: a little more than the free SUB-B allows.
    Plan("FG-0001", "", 14, "PLANNED"),
    Plan("FG-0001", "2", 21, "DRAFT"),
    Plan("FG-0002", "3", 25, "DRAFT"),
    Plan("SUB-B", "5", 18, "DRAFT"),
    Plan("SUB-A", "6", 30, "DRAFT"),
]


async def _products(session: AsyncSession, tenant: TenantId) -> dict[str, uuid.UUID]:
    found: dict[str, uuid.UUID] = {}
    after = None
    while True:
        page = await stock.list_products(
            session, tenant, filter=stock.ProductFilter(), first=100, after=after
        )
        found.update({p.sku: p.id for p in page.rows})
        if not page.has_next_page:
            return found
        after = page.cursors[-1]


async def _warehouse(session: AsyncSession, tenant: TenantId) -> uuid.UUID | None:
    page = await stock.list_warehouses(session, tenant, first=100, after=None)
    main = [w.id for w in page.rows if w.code == "MAIN"] or [w.id for w in page.rows]
    return main[0] if main else None


async def _beyond(
    session: AsyncSession, tenant: TenantId, warehouse: uuid.UUID, sub_b: uuid.UUID
) -> Decimal:
    """Enough FG-0001 that its SUB-B runs short by a few, so sub-assemblies are planned."""
    free = await reads.available(session, tenant, [sub_b], warehouse)
    return (free.get(sub_b, D(0)) // 2) + 2


async def _roles(
    session: AsyncSession, tenant: TenantId, warehouse: uuid.UUID, products: dict[str, uuid.UUID]
) -> dict[str, uuid.UUID]:
    """The demo products playing the two sub-assemblies: the components with the least
    free stock in the warehouse (SUB-B the least), so a modest order runs short of them."""
    candidates = [f"CP-{i:04d}" for i in range(8, 51) if f"CP-{i:04d}" in products]
    free = await reads.available(session, tenant, [products[c] for c in candidates], warehouse)
    ranked = sorted(candidates, key=lambda c: (free.get(products[c], D(0)), c))
    return {**products, "SUB-B": products[ranked[0]], "SUB-A": products[ranked[1]]}


async def _work(session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, steps: int) -> None:
    """Start and finish the order's first `steps` work orders, at their planned minutes
    (an odd step count leaves the last one started, not finished)."""
    for _ in range(steps):
        wo = await session.scalar(
            select(WorkOrder)
            .where(
                WorkOrder.tenant_id == tenant,
                WorkOrder.order_id == order_id,
                WorkOrder.status.in_([WorkOrderStatus.READY, WorkOrderStatus.IN_PROGRESS]),
            )
            .order_by(WorkOrder.sequence)
            .limit(1)
        )
        if wo is None:
            return
        if wo.status == WorkOrderStatus.READY:
            await workorders.start_work_order(session, tenant, wo.id)
        else:
            await workorders.finish_work_order(
                session, tenant, wo.id, actual_minutes=wo.planned_minutes
            )


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
    if await session.scalar(select(func.count()).select_from(BillOfMaterials)):
        return
    products = await _products(session, tenant)
    warehouse = await _warehouse(session, tenant)
    if warehouse is None or "CP-0009" not in products:
        return  # stock's demo catalogue is missing: nothing to make things from
    products = await _roles(session, tenant, warehouse, products)
    centers = {}
    for code, name, capacity, rate, hours in CENTERS:
        center = await workcenters.create_work_center(
            session,
            tenant,
            code=code,
            name=name,
            capacity=capacity,
            cost_per_hour=D(rate),
            working_hours=[D(h) for h in hours],
        )
        centers[code] = center.id
    for sku, yields, kind, parts, ops, by_products in BOMS:
        await boms.create_bom(
            session,
            tenant,
            boms.BomInput(
                product_id=products[sku],
                quantity=D(yields),
                kind=kind,
                components=[boms.ComponentInput(products[p], D(q), D(s)) for p, q, s in parts],
                operations=[
                    boms.OperationInput(seq, name, centers[wc], D(m)) for seq, name, wc, m in ops
                ],
                by_products=[
                    boms.ByProductInput(products[p], D(q), D(s)) for p, q, s in by_products
                ],
            ),
        )
    weld_seam = await quality.create_template(
        session,
        tenant,
        name="Weld seam visual",
        kind=CheckKind.PASS_FAIL,
        product_id=products["FG-0001"],
    )
    flatness = await quality.create_template(
        session,
        tenant,
        name="Flatness (mm)",
        kind=CheckKind.MEASUREMENT,
        product_id=products["FG-0002"],
        min_value=D("0"),
        max_value=D("0.5"),
    )
    templates = {"FG-0001": weld_seam.id, "FG-0002": flatness.id}
    today = orders.today()
    for plan in PLANS:
        quantity = (
            D(plan.quantity)
            if plan.quantity
            else await _beyond(session, tenant, warehouse, products["SUB-B"])
        )
        order = await orders.create_order(
            session,
            tenant,
            product_id=products[plan.sku],
            quantity=quantity,
            warehouse_id=warehouse,
            due_date=today + dt.timedelta(days=plan.due_in),
        )
        if plan.fate in ("DRAFT",):
            continue
        await orders.confirm_order(
            session,
            tenant,
            order.id,
            allow_shortage=True,
            plan_subassemblies=plan.fate == "PLANNED",
        )
        if plan.fate == "CANCELLED":
            await orders.cancel_order(session, tenant, order.id)
        elif plan.fate == "IN_PROGRESS":
            await _work(session, tenant, order.id, 3)
        elif plan.fate == "BLOCKED":
            await _work(session, tenant, order.id, 1)
            await quality.record_check(
                session,
                tenant,
                production_order_id=order.id,
                template_id=templates[plan.sku],
                measured_value=D("0.8"),
                note="Warped top plate",
            )
        elif plan.fate == "DONE":
            await _work(session, tenant, order.id, 10)
            if plan.sku in templates:
                await quality.record_check(
                    session,
                    tenant,
                    production_order_id=order.id,
                    template_id=templates[plan.sku],
                    measured_value=D("0.2") if plan.sku == "FG-0002" else None,
                    passed=True if plan.sku == "FG-0001" else None,
                )
            await completion.complete_order(
                session,
                tenant,
                order.id,
                produced_quantity=D(plan.produced) if plan.produced else None,
            )
