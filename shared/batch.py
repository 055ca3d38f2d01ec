"""Batch look-ups by key: what every dataloader and every service that checks many ids at
once needs. One statement for any number of keys; the tenant filter is explicit so the
primary key `(tenant_id, id)` serves the look-up (RLS would filter anyway)."""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.db import Base, TenantId

M = TypeVar("M", bound=Base)
K = TypeVar("K", bound=Hashable)


async def by_id(
    session: AsyncSession, model: type[M], tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, M]:
    """The rows of `model` with these ids; absent ids are absent from the result."""
    if not ids:
        return {}
    table: Any = model
    rows = await session.scalars(
        select(model).where(table.tenant_id == tenant, table.id.in_(set(ids)))
    )
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


async def grouped_by(
    session: AsyncSession,
    model: type[M],
    tenant: TenantId,
    column: InstrumentedAttribute[K],
    keys: Sequence[K],
    *,
    order_by: Sequence[Any] = (),
) -> dict[K, list[M]]:
    """The rows of `model` whose `column` is one of `keys`, grouped by that value."""
    if not keys:
        return {}
    table: Any = model
    stmt = select(model).where(table.tenant_id == tenant, column.in_(set(keys)))
    if order_by:
        stmt = stmt.order_by(*order_by)
    found: dict[K, list[M]] = {}
    for row in await session.scalars(stmt):
        found.setdefault(getattr(row, column.key), []).append(row)
    return found
