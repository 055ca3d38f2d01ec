"""Supplier price lists and the rules that read them.

A supplier has price tiers per product: a price from a minimum quantity up, an order
multiple, a lead time and validity dates. `best_price` picks the tier that applies to a
quantity on a day; `order_quantity` rounds a wanted quantity up to the supplier's
minimum and multiple. A product may name its preferred supplier (replenishment orders
from it)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import BadUserInput, InvalidInput, not_found
from shared.validation import MAX_AMOUNT, Checks
from subgraphs.purchases.models import PreferredSupplier, Supplier, SupplierPrice
from subgraphs.purchases.policy import base_currency
from subgraphs.purchases.suppliers import MAX_DAYS, orderable_supplier
from subgraphs.stock import api as stock

ZERO = Decimal(0)
CURRENCY = re.compile(r"^[A-Z]{3}$")


# --- rules --------------------------------------------------------------------------


def is_valid_on(price: SupplierPrice, on: dt.date) -> bool:
    return (price.valid_from is None or price.valid_from <= on) and (
        price.valid_to is None or on <= price.valid_to
    )


def best_price(
    prices: Iterable[SupplierPrice], quantity: Decimal, on: dt.date
) -> SupplierPrice | None:
    """The tier that applies to `quantity` on `on`: among tiers valid that day whose
    minimum the quantity reaches, the lowest price; on a tie the higher minimum, then the
    latest start of validity. None when no tier applies. Compare prices of one currency."""
    applicable = [p for p in prices if is_valid_on(p, on) and p.min_quantity <= quantity]
    if not applicable:
        return None
    return min(
        applicable,
        key=lambda p: (p.price, -p.min_quantity, -(p.valid_from or dt.date.min).toordinal()),
    )


def order_quantity(quantity: Decimal, minimum: Decimal, multiple: Decimal | None) -> Decimal:
    """`quantity` raised to `minimum`, then rounded up to a whole number of `multiple`s."""
    wanted = max(quantity, minimum)
    if multiple is None or multiple <= 0:
        return wanted
    return (wanted / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


@dataclass(frozen=True, slots=True)
class Quote:
    """What a supplier's price list says about one order line."""

    quantity: Decimal
    tier: SupplierPrice | None

    @property
    def unit_cost(self) -> Decimal | None:
        return None if self.tier is None else self.tier.price


def quote(prices: Iterable[SupplierPrice], quantity: Decimal, on: dt.date, currency: str) -> Quote:
    """Round `quantity` to the supplier's minimum and multiple and price it from the
    supplier's tiers in `currency` valid on `on`. When the quantity is below every
    tier's minimum, the smallest tier sets the minimum it is raised to."""
    candidates = [p for p in prices if p.currency == currency and is_valid_on(p, on)]
    if not candidates:
        return Quote(quantity, None)
    tier = best_price(candidates, quantity, on) or min(
        candidates, key=lambda p: (p.min_quantity, p.price)
    )
    rounded = order_quantity(quantity, tier.min_quantity, tier.order_multiple)
    return Quote(rounded, best_price(candidates, rounded, on) or tier)


# --- look-ups -----------------------------------------------------------------------


async def prices_of(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_ids: Sequence[uuid.UUID],
    supplier_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, list[SupplierPrice]]:
    """Each product's price tiers (of one supplier, or of all)."""
    if not product_ids:
        return {}
    stmt = select(SupplierPrice).where(
        SupplierPrice.tenant_id == tenant, SupplierPrice.product_id.in_(set(product_ids))
    )
    if supplier_id is not None:
        stmt = stmt.where(SupplierPrice.supplier_id == supplier_id)
    found: dict[uuid.UUID, list[SupplierPrice]] = {}
    for row in await session.scalars(stmt.order_by(SupplierPrice.min_quantity)):
        found.setdefault(row.product_id, []).append(row)
    return found


async def best_supplier_price(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    quantity: Decimal,
    on: dt.date,
    supplier_id: uuid.UUID | None = None,
    currency: str | None = None,
) -> SupplierPrice | None:
    """The best valid price for `quantity` on `on`, of one supplier or of any, among
    prices in `currency` (default: the tenant's base currency when comparing suppliers,
    any currency for one supplier). Archived suppliers' prices do not count."""
    if not quantity.is_finite() or not ZERO <= quantity <= MAX_AMOUNT:
        raise BadUserInput("`quantity` must be a number from 0 up", argument="quantity")
    if currency is not None and not CURRENCY.match(currency):
        raise BadUserInput("`currency` must be an ISO 4217 code", argument="currency")
    stmt = (
        select(SupplierPrice)
        .join(
            Supplier,
            (Supplier.tenant_id == SupplierPrice.tenant_id)
            & (Supplier.id == SupplierPrice.supplier_id),
        )
        .where(
            SupplierPrice.tenant_id == tenant,
            SupplierPrice.product_id == product_id,
            Supplier.archived.is_(False),
        )
    )
    if supplier_id is not None:
        stmt = stmt.where(SupplierPrice.supplier_id == supplier_id)
    elif currency is None:
        currency = await base_currency(session, tenant)
    if currency is not None:
        stmt = stmt.where(SupplierPrice.currency == currency)
    return best_price(list(await session.scalars(stmt)), quantity, on)


# --- writes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceFields:
    """One price tier. `currency` defaults to the supplier's."""

    price: Decimal
    currency: str | None = None
    min_quantity: Decimal = ZERO
    order_multiple: Decimal | None = None
    lead_time_days: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def _check_price(checks: Checks, fields: PriceFields) -> str | None:
    checks.non_negative("price", fields.price)
    checks.non_negative("minQuantity", fields.min_quantity)
    if fields.order_multiple is not None:
        checks.positive("orderMultiple", fields.order_multiple)
    checks.range("leadTimeDays", fields.lead_time_days, 0, MAX_DAYS)
    checks.period("validTo", fields.valid_from, fields.valid_to)
    return None if fields.currency is None else checks.currency("currency", fields.currency)


def _apply(row: SupplierPrice, fields: PriceFields, currency: str) -> None:
    row.price = fields.price
    row.currency = currency
    row.min_quantity = fields.min_quantity
    row.order_multiple = fields.order_multiple
    row.lead_time_days = fields.lead_time_days
    row.valid_from = fields.valid_from
    row.valid_to = fields.valid_to


async def add_supplier_price(
    session: AsyncSession,
    tenant: TenantId,
    *,
    supplier_id: uuid.UUID,
    product_id: uuid.UUID,
    fields: PriceFields,
) -> SupplierPrice:
    checks = Checks()
    supplier = None
    try:
        supplier = await orderable_supplier(session, tenant, supplier_id)
    except InvalidInput as exc:
        checks.extend(exc)
    if product_id not in await stock.products_by_id(session, tenant, [product_id]):
        checks.extend(not_found("productId", "product"))
    currency = _check_price(checks, fields)
    checks.raise_any()
    assert supplier is not None
    row = SupplierPrice(
        tenant_id=tenant, id=uuid.uuid4(), supplier_id=supplier.id, product_id=product_id
    )
    _apply(row, fields, currency or supplier.currency)
    session.add(row)
    await session.flush()
    return row


async def update_supplier_price(
    session: AsyncSession, tenant: TenantId, *, price_id: uuid.UUID, fields: PriceFields
) -> SupplierPrice:
    """Replace a tier's terms (every field: what is not given takes its default)."""
    row = await session.get(SupplierPrice, (tenant, price_id), with_for_update=True)
    if row is None:
        raise not_found("priceId", "supplier price")
    checks = Checks()
    currency = _check_price(checks, fields)
    checks.raise_any()
    if currency is None:
        supplier = await session.get(Supplier, (tenant, row.supplier_id))
        assert supplier is not None
        currency = supplier.currency
    _apply(row, fields, currency)
    await session.flush()
    return row


async def remove_supplier_price(
    session: AsyncSession, tenant: TenantId, *, price_id: uuid.UUID
) -> uuid.UUID:
    removed: uuid.UUID | None = await session.scalar(
        delete(SupplierPrice)
        .where(SupplierPrice.tenant_id == tenant, SupplierPrice.id == price_id)
        .returning(SupplierPrice.id)
    )
    if removed is None:
        raise not_found("priceId", "supplier price")
    return removed


async def set_preferred_supplier(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    supplier_id: uuid.UUID | None,
) -> uuid.UUID:
    """Name (or, with None, clear) the product's preferred supplier; returns the product."""
    checks = Checks()
    if product_id not in await stock.products_by_id(session, tenant, [product_id]):
        checks.extend(not_found("productId", "product"))
    if supplier_id is not None and await session.get(Supplier, (tenant, supplier_id)) is None:
        checks.extend(not_found("supplierId", "supplier"))
    checks.raise_any()
    if supplier_id is None:
        await session.execute(
            delete(PreferredSupplier).where(
                PreferredSupplier.tenant_id == tenant, PreferredSupplier.product_id == product_id
            )
        )
        return product_id
    stmt = insert(PreferredSupplier).values(
        tenant_id=tenant, product_id=product_id, supplier_id=supplier_id
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "product_id"], set_={"supplier_id": supplier_id}
        )
    )
    return product_id
