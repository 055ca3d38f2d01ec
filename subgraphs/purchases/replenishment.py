"""Replenishment to purchase: stock's reorder suggestions, less what open purchase orders
already bring to the warehouse, turned into requests for quotation grouped by each
product's supplier.

The supplier is the product's preferred one, else the supplier with the lowest valid
price in base currency for the quantity. Quantities are rounded up to that supplier's
minimum and multiple when the order is created, and priced from its list. Because open
orders (requests for quotation included) count as incoming, a second run creates
nothing new. Runs of one tenant are serialised by a transaction-level advisory lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import not_found
from subgraphs.purchases import prices
from subgraphs.purchases.models import (
    OPEN,
    PreferredSupplier,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from subgraphs.purchases.orders import LineInput, create_purchase_order, today
from subgraphs.purchases.policy import base_currency
from subgraphs.purchases.reads import open_quantity
from subgraphs.stock import api as stock

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PurchaseSuggestion:
    """What a warehouse still needs of a product once open orders have come in."""

    product_id: uuid.UUID
    warehouse_id: uuid.UUID
    available: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    incoming: Decimal
    supplier_id: uuid.UUID | None
    """None when no supplier has a valid price in base currency and none is preferred."""

    @property
    def quantity(self) -> Decimal:
        return max(self.max_quantity - self.available - self.incoming, ZERO)


async def _incoming_by_warehouse(
    session: AsyncSession, tenant: TenantId, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    if not pairs:
        return {}
    rows = await session.execute(
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id, func.sum(open_quantity()))
        .join(
            PurchaseOrder,
            (PurchaseOrder.tenant_id == PurchaseOrderLine.tenant_id)
            & (PurchaseOrder.id == PurchaseOrderLine.order_id),
        )
        .where(
            PurchaseOrderLine.tenant_id == tenant,
            PurchaseOrderLine.product_id.in_({p for p, _ in pairs}),
            PurchaseOrder.status.in_(list(OPEN)),
        )
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    )
    return {(p, w): q for p, w, q in rows}


async def _suppliers_for(
    session: AsyncSession, tenant: TenantId, needs: dict[uuid.UUID, Decimal]
) -> dict[uuid.UUID, uuid.UUID]:
    """product -> the supplier to order it from: the preferred one if it has a valid
    price in its currency, else the cheapest valid price among base-currency suppliers.
    Products no supplier prices are absent."""
    preferred = dict(
        (
            await session.execute(
                select(PreferredSupplier.product_id, PreferredSupplier.supplier_id).where(
                    PreferredSupplier.tenant_id == tenant,
                    PreferredSupplier.product_id.in_(list(needs)),
                )
            )
        ).all()
    )
    tiers = await prices.prices_of(session, tenant, product_ids=list(needs))
    wanted = {t.supplier_id for ts in tiers.values() for t in ts}
    currency = dict(
        (
            await session.execute(
                select(Supplier.id, Supplier.currency).where(
                    Supplier.tenant_id == tenant,
                    Supplier.id.in_(wanted),
                    Supplier.archived.is_(False),
                )
            )
        ).all()
    )
    base = await base_currency(session, tenant)
    day = today()

    def cost(product: uuid.UUID, supplier: uuid.UUID) -> Decimal | None:
        own = [t for t in tiers.get(product, []) if t.supplier_id == supplier]
        return prices.quote(own, needs[product], day, currency[supplier]).unit_cost

    chosen: dict[uuid.UUID, uuid.UUID] = {}
    for product in needs:
        favourite = preferred.get(product)
        if favourite in currency and cost(product, favourite) is not None:
            chosen[product] = favourite
            continue
        offers = [
            (price, str(supplier), supplier)
            for supplier in {t.supplier_id for t in tiers.get(product, [])}
            if currency.get(supplier) == base and (price := cost(product, supplier)) is not None
        ]
        if offers:
            chosen[product] = min(offers)[2]
    return chosen


async def purchase_suggestions(
    session: AsyncSession, tenant: TenantId, *, warehouse_id: uuid.UUID | None = None
) -> list[PurchaseSuggestion]:
    """Stock's suggestions net of open purchase orders; those still needing something."""
    found = await stock.replenishment_suggestions(session, tenant, warehouse_id=warehouse_id)
    incoming = await _incoming_by_warehouse(
        session, tenant, {(s.product_id, s.warehouse_id) for s in found}
    )
    netted = [
        (s, incoming.get((s.product_id, s.warehouse_id), ZERO))
        for s in found
        if s.quantity - incoming.get((s.product_id, s.warehouse_id), ZERO) > 0
    ]
    needs: dict[uuid.UUID, Decimal] = {}
    for s, coming in netted:
        needs[s.product_id] = needs.get(s.product_id, ZERO) + s.quantity - coming
    suppliers = await _suppliers_for(session, tenant, needs) if needs else {}
    return [
        PurchaseSuggestion(
            product_id=s.product_id,
            warehouse_id=s.warehouse_id,
            available=s.available,
            min_quantity=s.min_quantity,
            max_quantity=s.max_quantity,
            incoming=coming,
            supplier_id=suppliers.get(s.product_id),
        )
        for s, coming in netted
    ]


@dataclass(frozen=True, slots=True)
class ReplenishmentResult:
    orders: list[PurchaseOrder]
    skipped: list[PurchaseSuggestion]
    """Suggestions no supplier could be found for."""


async def create_orders_from_suggestions(
    session: AsyncSession,
    tenant: TenantId,
    *,
    warehouse_id: uuid.UUID | None = None,
    actor: uuid.UUID | None = None,
) -> ReplenishmentResult:
    """One request for quotation per (supplier, warehouse) for what is still needed."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('purchases.replenish'), hashtext(:t))"),
        {"t": str(tenant)},
    )
    if warehouse_id is not None and not await stock.warehouses_by_id(
        session, tenant, [warehouse_id]
    ):
        raise not_found("warehouseId", "warehouse")
    suggestions = await purchase_suggestions(session, tenant, warehouse_id=warehouse_id)
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[PurchaseSuggestion]] = {}
    skipped = []
    for s in suggestions:
        if s.supplier_id is None:
            skipped.append(s)
        else:
            groups.setdefault((s.supplier_id, s.warehouse_id), []).append(s)
    created = []
    for (supplier, warehouse), wanted in sorted(groups.items(), key=lambda g: str(g[0])):
        created.append(
            await create_purchase_order(
                session,
                tenant,
                supplier_id=supplier,
                warehouse_id=warehouse,
                lines=[LineInput(product_id=s.product_id, quantity=s.quantity) for s in wanted],
                notes="Replenishment",
                actor=actor,
            )
        )
    return ReplenishmentResult(created, skipped)
