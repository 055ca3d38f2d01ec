"""Reorder rules and the low-stock alerts they raise: a rule watches one product in one
warehouse; whenever its available quantity drops below the minimum an alert opens (and a
`stock.low` event goes out), and it resolves once the quantity is back at the minimum."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.stock.events import StockEvent
from subgraphs.stock.models import (
    ZERO,
    AlertStatus,
    LowStockAlert,
    ProductType,
    ReorderRule,
    q4,
)
from subgraphs.stock.reads import available_by_warehouse, product, warehouse


async def set_reorder_rule(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    warehouse_id: uuid.UUID,
    min_quantity: Decimal,
    max_quantity: Decimal,
) -> ReorderRule:
    """Create or replace the rule of the product in the warehouse, then judge it."""
    checks = Checks()
    checks.non_negative("minQuantity", min_quantity)
    if not max_quantity.is_finite() or (min_quantity.is_finite() and max_quantity < min_quantity):
        checks.add("maxQuantity", Code.BELOW_MIN, "Must be at least the minimum")
    elif max_quantity >= 0:
        checks.non_negative("maxQuantity", max_quantity)  # decimal places and bounds
    found = await product(session, tenant, product_id)
    if found is None:
        checks.extend(not_found("productId", "product"))
    elif found.type != ProductType.STOCKABLE:
        checks.add("productId", Code.NOT_STOCKABLE, "Only stockable products")
    if await warehouse(session, tenant, warehouse_id) is None:
        checks.extend(not_found("warehouseId", "warehouse"))
    checks.raise_any()
    rule = await session.scalar(
        select(ReorderRule)
        .where(
            ReorderRule.tenant_id == tenant,
            ReorderRule.product_id == product_id,
            ReorderRule.warehouse_id == warehouse_id,
        )
        .with_for_update()
    )
    if rule is None:
        rule = ReorderRule(
            tenant_id=tenant, id=uuid.uuid4(), product_id=product_id, warehouse_id=warehouse_id
        )
        session.add(rule)
    rule.min_quantity = q4(min_quantity)
    rule.max_quantity = q4(max_quantity)
    await session.flush()
    await evaluate_low_stock(session, tenant, {(product_id, warehouse_id)})
    return rule


async def evaluate_low_stock(
    session: AsyncSession, tenant: TenantId, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Raise one alert (and one `stock.low` event) per rule whose warehouse's available
    quantity is below its minimum; resolve open alerts once it is back at the minimum.
    `pairs` are the (product, warehouse) whose levels just changed."""
    if not pairs:
        return
    rules = list(
        (
            await session.scalars(
                select(ReorderRule).where(
                    ReorderRule.tenant_id == tenant,
                    tuple_(ReorderRule.product_id, ReorderRule.warehouse_id).in_(sorted(pairs)),
                )
            )
        ).all()
    )
    if not rules:
        return
    available = await available_by_warehouse(
        session, tenant, {(r.product_id, r.warehouse_id) for r in rules}
    )
    open_alerts = set(
        (
            await session.scalars(
                select(LowStockAlert.rule_id).where(
                    LowStockAlert.tenant_id == tenant,
                    LowStockAlert.status == AlertStatus.OPEN,
                    LowStockAlert.rule_id.in_([r.id for r in rules]),
                )
            )
        ).all()
    )
    for rule in rules:
        free = available.get((rule.product_id, rule.warehouse_id), ZERO)
        if free < rule.min_quantity and rule.id not in open_alerts:
            await _raise_alert(session, tenant, rule, free)
        elif free >= rule.min_quantity and rule.id in open_alerts:
            await session.execute(
                update(LowStockAlert)
                .where(
                    LowStockAlert.tenant_id == tenant,
                    LowStockAlert.rule_id == rule.id,
                    LowStockAlert.status == AlertStatus.OPEN,
                )
                .values(status=AlertStatus.RESOLVED, resolved_at=func.now())
            )


async def _raise_alert(
    session: AsyncSession, tenant: TenantId, rule: ReorderRule, free: Decimal
) -> None:
    raised = await session.scalar(
        insert(LowStockAlert)
        .values(
            tenant_id=tenant,
            id=uuid.uuid4(),
            rule_id=rule.id,
            product_id=rule.product_id,
            warehouse_id=rule.warehouse_id,
            status=AlertStatus.OPEN,
            min_quantity=rule.min_quantity,
            available=free,
        )
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "rule_id"],
            # A literal: PostgreSQL infers the partial index only from a predicate that
            # matches its definition, and a bound parameter never does.
            index_where=text(f"status = '{AlertStatus.OPEN}'"),
        )
        .returning(LowStockAlert.id)
    )
    if raised is None:
        return  # a concurrent writer opened it first
    await emit(
        session,
        tenant,
        type=StockEvent.LOW,
        aggregate_type="Product",
        aggregate_id=rule.product_id,
        payload={
            "alertId": str(raised),
            "productId": str(rule.product_id),
            "warehouseId": str(rule.warehouse_id),
            "available": str(free),
            "minQuantity": str(rule.min_quantity),
            "maxQuantity": str(rule.max_quantity),
        },
    )
