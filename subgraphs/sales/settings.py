"""Sales settings of a tenant: the default warehouse new orders ship from.

CRM stores no per-customer warehouse, so an order's warehouse is the one the caller
names, else this tenant default, else (no default set yet) the tenant's first warehouse
by code, the behaviour before the setting existed.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import not_found
from subgraphs.sales.models import SalesSettings
from subgraphs.stock import api as stock


async def get_settings(session: AsyncSession, tenant: TenantId) -> SalesSettings:
    """The tenant's settings (an unsaved empty row when none were set)."""
    row = await session.get(SalesSettings, tenant)
    return row if row is not None else SalesSettings(tenant_id=tenant, default_warehouse_id=None)


async def set_default_warehouse(
    session: AsyncSession, tenant: TenantId, *, warehouse_id: uuid.UUID | None
) -> SalesSettings:
    """Set (or with None clear) the default warehouse; NOT_FOUND at `warehouseId`."""
    if warehouse_id is not None and await stock.warehouse(session, tenant, warehouse_id) is None:
        raise not_found("warehouseId", "warehouse")
    row = await session.get(SalesSettings, tenant, with_for_update=True)
    if row is None:
        row = SalesSettings(tenant_id=tenant)
        session.add(row)
    row.default_warehouse_id = warehouse_id
    await session.flush()
    await session.refresh(row)
    return row


async def default_warehouse(session: AsyncSession, tenant: TenantId) -> uuid.UUID | None:
    """The warehouse an order ships from when none is named (module docstring)."""
    row = await session.get(SalesSettings, tenant)
    if row is not None and row.default_warehouse_id is not None:
        return row.default_warehouse_id
    page = await stock.list_warehouses(session, tenant, first=1, after=None)
    return page.rows[0].id if page.rows else None
