"""Warehouses and their locations: each warehouse has one internal location per internal
kind; each tenant has one virtual location per virtual kind, created on first need."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.stock.models import INTERNAL_KINDS, Location, LocationKind, Warehouse


async def create_warehouse(
    session: AsyncSession, tenant: TenantId, *, code: str, name: str, address: str = ""
) -> Warehouse:
    """A warehouse with its internal locations STOCK, INPUT, OUTPUT, QUALITY, SCRAP."""
    checks = Checks()
    code = checks.text("code", code, limit=16).upper()
    name = checks.text("name", name)
    checks.raise_any()
    taken = await session.scalar(
        select(Warehouse.id).where(Warehouse.tenant_id == tenant, Warehouse.code == code)
    )
    if taken is not None:
        raise InvalidInput.one("code", Code.TAKEN, "Another warehouse has this code")
    warehouse = Warehouse(tenant_id=tenant, id=uuid.uuid4(), code=code, name=name, address=address)
    session.add(warehouse)
    await session.flush()
    session.add_all(
        Location(
            tenant_id=tenant,
            id=uuid.uuid4(),
            warehouse_id=warehouse.id,
            kind=kind,
            name=f"{code}/{kind.title()}",
        )
        for kind in INTERNAL_KINDS
    )
    await session.flush()
    await session.refresh(warehouse)
    return warehouse


_LOCATION_OF_KIND = select(Location.id).where(
    Location.tenant_id == bindparam("tenant"),
    Location.warehouse_id == bindparam("warehouse"),
    Location.kind == bindparam("kind"),
)
"""Built once, not per call (about 0.1 ms of CPU each time): every delivery, receipt and
confirmation asks it."""


async def location_of_kind(
    session: AsyncSession, tenant: TenantId, warehouse_id: uuid.UUID, kind: LocationKind
) -> uuid.UUID:
    """The warehouse's internal location of `kind` (STOCK, INPUT, OUTPUT, QUALITY, SCRAP),
    e.g. where a return goes by its condition. An unknown warehouse is `not_found` at
    `warehouseId`; a virtual kind is `NOT_INTERNAL` at `kind`."""
    if kind not in INTERNAL_KINDS:
        raise InvalidInput.one("kind", Code.NOT_INTERNAL, "Use a warehouse location kind")
    found = await session.scalar(
        _LOCATION_OF_KIND, {"tenant": tenant, "warehouse": warehouse_id, "kind": kind}
    )
    if found is None:
        raise not_found("warehouseId", "warehouse")
    return found


async def stock_location(
    session: AsyncSession, tenant: TenantId, warehouse_id: uuid.UUID
) -> uuid.UUID:
    """The warehouse's STOCK location, where receipts land and deliveries leave from.
    An unknown warehouse is `not_found` at `warehouseId`."""
    return await location_of_kind(session, tenant, warehouse_id, LocationKind.STOCK)


async def virtual_location(
    session: AsyncSession, tenant: TenantId, kind: LocationKind
) -> uuid.UUID:
    """The tenant's virtual location of `kind`, created on first need (race-safe)."""
    where = (Location.tenant_id == tenant, Location.kind == kind, Location.warehouse_id.is_(None))
    found = await session.scalar(select(Location.id).where(*where))
    if found is not None:
        return found
    await session.execute(
        insert(Location)
        .values(tenant_id=tenant, id=uuid.uuid4(), kind=kind, name=kind.title(), warehouse_id=None)
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "kind"], index_where=Location.warehouse_id.is_(None)
        )
    )
    created = await session.scalar(select(Location.id).where(*where))
    assert created is not None
    return created
