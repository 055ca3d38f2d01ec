"""Products: the catalogue's write rules. A product's type and unit of measure are fixed
once stock has moved; its cost is the ledger's business (moving average), never written
here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.validation import Checks
from subgraphs.stock.models import Product, ProductType, StockMove, q4


@dataclass(frozen=True, slots=True)
class ProductFields:
    """What a caller sets; None leaves a field as it is (or at its default on create).
    Problems name these fields in camelCase (`sku`, `salesPrice`)."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    type: ProductType | None = None
    uom: str | None = None
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal | None = None


def _check(fields: ProductFields, *, creating: bool) -> dict[str, object]:
    checks = Checks()
    values: dict[str, object] = {}
    for name, limit in (("sku", 64), ("name", 200), ("uom", 16)):
        value = getattr(fields, name)
        if value is not None:
            values[name] = checks.text(name, value, limit=limit)
        elif creating and name != "uom":
            checks.add(name, Code.REQUIRED, "This field is required")
    for name, limit in (("category", 100), ("barcode", 64)):
        value = getattr(fields, name)
        if value is not None:
            values[name] = checks.optional(name, value, limit=limit)
    if fields.description is not None:
        values["description"] = fields.description
    if fields.type is not None:
        values["type"] = checks.choice("type", fields.type, list(ProductType))
    elif creating:
        values["type"] = ProductType.STOCKABLE
    if fields.sales_price is not None:
        checks.non_negative("salesPrice", fields.sales_price)
    checks.raise_any()
    if fields.sales_price is not None:
        values["sales_price"] = q4(fields.sales_price)
    return values


def _taken() -> InvalidInput:
    return InvalidInput.one("sku", Code.TAKEN, "Another product has this SKU (in any case)")


async def _sku_taken(
    session: AsyncSession, tenant: TenantId, sku: str, but: uuid.UUID | None = None
) -> bool:
    stmt = select(Product.id).where(
        Product.tenant_id == tenant, func.lower(Product.sku) == sku.lower()
    )
    if but is not None:
        stmt = stmt.where(Product.id != but)
    return (await session.scalar(stmt)) is not None


async def create_product(session: AsyncSession, tenant: TenantId, fields: ProductFields) -> Product:
    values = _check(fields, creating=True)
    if await _sku_taken(session, tenant, str(values["sku"])):
        raise _taken()
    product = Product(tenant_id=tenant, id=uuid.uuid4(), **values)
    session.add(product)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # A concurrent create won the race for this SKU.
        raise _taken() from None
    await session.refresh(product)
    return product


async def _get(session: AsyncSession, tenant: TenantId, product_id: uuid.UUID) -> Product:
    """The product to change; unknown is `not_found` at `id` (the product itself)."""
    product = await session.scalar(
        select(Product)
        .where(Product.tenant_id == tenant, Product.id == product_id)
        .execution_options(populate_existing=True)
    )
    if product is None:
        raise not_found("id", "product")
    return product


async def _has_moves(session: AsyncSession, tenant: TenantId, product_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(StockMove.id)
        .where(StockMove.tenant_id == tenant, StockMove.product_id == product_id)
        .limit(1)
    )
    return found is not None


async def update_product(
    session: AsyncSession, tenant: TenantId, product_id: uuid.UUID, fields: ProductFields
) -> Product:
    product = await _get(session, tenant, product_id)
    values = _check(fields, creating=False)
    if "sku" in values and await _sku_taken(session, tenant, str(values["sku"]), product_id):
        raise _taken()
    # Moves are quantities in the product's unit: a new type or unit would reinterpret them.
    fixed = [
        name
        for name in ("type", "uom")
        if values.get(name, getattr(product, name)) != getattr(product, name)
    ]
    if fixed and await _has_moves(session, tenant, product_id):
        what = {"type": "type", "uom": "unit of measure"}
        raise InvalidInput(
            [
                Problem(name, Code.HAS_MOVES, f"A product with stock moves keeps its {what[name]}")
                for name in fixed
            ]
        )
    was = {"salesPrice": product.sales_price, "currency": product.currency}
    for name, value in values.items():
        setattr(product, name, value)
    await session.flush()
    await session.refresh(product)
    now = {"salesPrice": product.sales_price, "currency": product.currency}
    if audit.changes(was, now)[1]:
        await audit.record(
            session,
            tenant,
            action=audit.Action.PRICE_CHANGED,
            target_type="Product",
            target_id=product.id,
            before=was,
            after=now,
        )
    return product


async def archive_product(
    session: AsyncSession, tenant: TenantId, product_id: uuid.UUID
) -> Product:
    product = await _get(session, tenant, product_id)
    product.active = False
    await session.flush()
    await session.refresh(product)
    return product
