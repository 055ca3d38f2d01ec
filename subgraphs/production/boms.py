"""Bills of materials: versions per product with at most one active, multi-level through
components that have BOMs of their own, and never a cycle.

Cycles are refused at any depth: a new or re-activated BOM of P may not use a product
whose active structure leads back to P. BOM writes of a tenant take one transaction-level
advisory lock, so two concurrent writers cannot each add half of a cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.production import reads
from subgraphs.production.explosion import path_to
from subgraphs.production.models import (
    HUNDRED,
    ZERO,
    BillOfMaterials,
    BomByProduct,
    BomComponent,
    BomKind,
    BomOperation,
    WorkCenter,
    q4,
)
from subgraphs.stock import api as stock

MAX_LINES = 200


@dataclass(frozen=True, slots=True)
class ComponentInput:
    product_id: uuid.UUID
    quantity: Decimal
    scrap_percent: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ByProductInput:
    product_id: uuid.UUID
    quantity: Decimal
    cost_share: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class OperationInput:
    sequence: int
    name: str
    work_center_id: uuid.UUID
    minutes: Decimal


@dataclass(frozen=True, slots=True)
class BomInput:
    product_id: uuid.UUID
    quantity: Decimal
    components: Sequence[ComponentInput]
    kind: BomKind = BomKind.NORMAL
    by_products: Sequence[ByProductInput] = field(default_factory=tuple)
    operations: Sequence[OperationInput] = field(default_factory=tuple)
    active: bool = True
    note: str | None = None


async def lock_structure(session: AsyncSession, tenant: TenantId) -> None:
    """Serialise the tenant's BOM writes (transaction-scoped)."""
    key = func.hashtextextended(f"production.bom:{tenant}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


def _check_shape(checks: Checks, bom: BomInput) -> None:
    checks.positive("quantity", bom.quantity)
    if not bom.components:
        checks.add("components", Code.REQUIRED, "A BOM needs at least one component")
    for name, lines in (
        ("components", bom.components),
        ("byProducts", bom.by_products),
        ("operations", bom.operations),
    ):
        if len(lines) > MAX_LINES:
            checks.add(name, Code.TOO_MANY, f"At most {MAX_LINES} entries")
    seen: set[uuid.UUID] = set()
    for i, c in enumerate(bom.components):
        at = checks.at("components", i)
        at.positive("quantity", c.quantity)
        at.decimal_range("scrapPercent", c.scrap_percent, ZERO, Decimal("99.9999"))
        at.precision("scrapPercent", c.scrap_percent)
        if c.product_id == bom.product_id:
            at.add("productId", Code.BOM_CYCLE, "A BOM cannot contain its own product")
        elif c.product_id in seen:
            at.add("productId", Code.DUPLICATE, "List each component once")
        seen.add(c.product_id)
    shares = ZERO
    for i, b in enumerate(bom.by_products):
        at = checks.at("byProducts", i)
        at.positive("quantity", b.quantity)
        at.decimal_range("costShare", b.cost_share, ZERO, Decimal("99.9999"))
        at.precision("costShare", b.cost_share)
        if b.product_id == bom.product_id:
            at.add("productId", Code.INVALID, "The BOM's own product is its main output")
        if b.cost_share.is_finite():
            shares += b.cost_share
    if shares >= HUNDRED:
        checks.add("byProducts", Code.OUT_OF_RANGE, "Cost shares must total less than 100")
    for i, op in enumerate(bom.operations):
        at = checks.at("operations", i)
        at.range("sequence", op.sequence, 0, 10_000)
        at.text("name", op.name)
        at.positive("minutes", op.minutes)
    if bom.kind == BomKind.PHANTOM and (bom.operations or bom.by_products):
        checks.add("kind", Code.INVALID, "A kit is never made: no operations or by-products")
    checks.optional("note", bom.note, limit=2000)


async def _check_references(
    session: AsyncSession, tenant: TenantId, checks: Checks, bom: BomInput
) -> None:
    ids = [bom.product_id, *(c.product_id for c in bom.components)]
    ids += [b.product_id for b in bom.by_products]
    products = await stock.products_by_id(session, tenant, ids)

    def product(fld: Checks, name: str, product_id: uuid.UUID) -> None:
        found = products.get(product_id)
        if found is None:
            fld.add(name, Code.NOT_FOUND, "No product with this id")
        elif found.type != stock.ProductType.STOCKABLE:
            fld.add(name, Code.NOT_STOCKABLE, "Only stockable products are made and used")

    product(checks, "productId", bom.product_id)
    for i, c in enumerate(bom.components):
        product(checks.at("components", i), "productId", c.product_id)
    for i, b in enumerate(bom.by_products):
        product(checks.at("byProducts", i), "productId", b.product_id)
    centers = await batch.by_id(
        session, WorkCenter, tenant, [op.work_center_id for op in bom.operations]
    )
    for i, op in enumerate(bom.operations):
        if op.work_center_id not in centers:
            checks.at("operations", i).add("workCenterId", Code.NOT_FOUND, "No such work center")


async def check_cycles(
    session: AsyncSession,
    tenant: TenantId,
    checks: Checks,
    product_id: uuid.UUID,
    components: Sequence[uuid.UUID],
) -> None:
    """A BOM_CYCLE at `components.i.productId` for each component whose active structure
    leads back to `product_id`, naming the chain by SKU."""
    graph = await reads.bom_graph(session, tenant, list(components))
    cycles = []
    for i, component in enumerate(components):
        path = path_to(graph, component, product_id)
        if path is not None:
            cycles.append((i, [product_id, *path]))
    if not cycles:
        return
    skus = await stock.products_by_id(session, tenant, [p for _, path in cycles for p in path])
    for i, path in cycles:
        chain = " → ".join(skus[p].sku if p in skus else str(p) for p in path)
        checks.at("components", i).add(
            "productId", Code.BOM_CYCLE, f"This component is made from the product: {chain}"
        )


async def create_bom(session: AsyncSession, tenant: TenantId, bom: BomInput) -> BillOfMaterials:
    """A new version of the product's BOM; active (replacing the active one) unless
    `active` is false. Refused whole, with nothing written, on any problem."""
    checks = Checks()
    _check_shape(checks, bom)
    await lock_structure(session, tenant)
    await _check_references(session, tenant, checks, bom)
    checks.raise_any()
    if bom.active:
        await check_cycles(
            session, tenant, checks, bom.product_id, [c.product_id for c in bom.components]
        )
        checks.raise_any()
    version = await session.scalar(
        select(func.coalesce(func.max(BillOfMaterials.version), 0)).where(
            BillOfMaterials.tenant_id == tenant, BillOfMaterials.product_id == bom.product_id
        )
    )
    if bom.active:
        await _deactivate(session, tenant, bom.product_id)
    row = BillOfMaterials(
        tenant_id=tenant,
        id=uuid.uuid4(),
        product_id=bom.product_id,
        version=(version or 0) + 1,
        kind=bom.kind,
        quantity=q4(bom.quantity),
        active=bom.active,
        note=(bom.note or "").strip(),
    )
    session.add(row)
    await session.flush()
    session.add_all(
        [
            BomComponent(
                tenant_id=tenant,
                bom_id=row.id,
                position=i,
                product_id=c.product_id,
                quantity=q4(c.quantity),
                scrap_percent=q4(c.scrap_percent),
            )
            for i, c in enumerate(bom.components)
        ]
        + [
            BomByProduct(
                tenant_id=tenant,
                bom_id=row.id,
                position=i,
                product_id=b.product_id,
                quantity=q4(b.quantity),
                cost_share=q4(b.cost_share),
            )
            for i, b in enumerate(bom.by_products)
        ]
        + [
            BomOperation(
                tenant_id=tenant,
                bom_id=row.id,
                sequence=op.sequence,
                name=op.name.strip(),
                work_center_id=op.work_center_id,
                minutes=q4(op.minutes),
            )
            for op in bom.operations
        ]
    )
    await session.flush()
    return row


async def _deactivate(session: AsyncSession, tenant: TenantId, product_id: uuid.UUID) -> None:
    await session.execute(
        update(BillOfMaterials)
        .where(
            BillOfMaterials.tenant_id == tenant,
            BillOfMaterials.product_id == product_id,
            BillOfMaterials.active,
        )
        .values(active=False)
    )
    await session.flush()


async def activate_bom(
    session: AsyncSession, tenant: TenantId, bom_id: uuid.UUID
) -> BillOfMaterials:
    """Make this version the product's active BOM (checked for cycles again: the
    structure below it may have changed since it was written)."""
    await lock_structure(session, tenant)
    row = (await batch.by_id(session, BillOfMaterials, tenant, [bom_id])).get(bom_id)
    if row is None:
        raise not_found("id", "bill of materials")
    if row.active:
        return row
    node = await reads.bom_node(session, tenant, bom_id)
    assert node is not None
    checks = Checks()
    await check_cycles(session, tenant, checks, row.product_id, [p.product_id for p in node.parts])
    if checks.problems:
        raise InvalidInput([replace(p, field="id") for p in checks.problems])
    await _deactivate(session, tenant, row.product_id)
    row.active = True
    await session.flush()
    return row


async def deactivate_bom(
    session: AsyncSession, tenant: TenantId, bom_id: uuid.UUID
) -> BillOfMaterials:
    """The product has no active BOM afterwards (orders already created keep theirs)."""
    row = (await batch.by_id(session, BillOfMaterials, tenant, [bom_id])).get(bom_id)
    if row is None:
        raise not_found("id", "bill of materials")
    row.active = False
    await session.flush()
    return row


async def get_bom(session: AsyncSession, tenant: TenantId, bom_id: uuid.UUID) -> BillOfMaterials:
    row = (await batch.by_id(session, BillOfMaterials, tenant, [bom_id])).get(bom_id)
    if row is None:
        raise not_found("id", "bill of materials")
    return row
