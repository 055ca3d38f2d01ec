"""Gapless production order numbers per tenant and year: MO-2026-00001.

A sequence would leave gaps whenever a transaction rolls back. Instead, each (tenant,
year) has a counter row that the issuing transaction locks and bumps (as sales numbers
its documents): a concurrent issuer waits for the lock, and a rollback gives the number
back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.production.models import Counter

PREFIX = "MO"


async def next_number(session: AsyncSession, tenant: TenantId, on: dt.date) -> str:
    # One statement: the upsert creates the row or bumps it under its row lock, which a
    # concurrent issuer waits for until this transaction ends.
    stmt = insert(Counter).values(tenant_id=tenant, year=on.year, last=1)
    last = await session.scalar(
        stmt.on_conflict_do_update(
            index_elements=[Counter.tenant_id, Counter.year], set_={"last": Counter.last + 1}
        ).returning(Counter.last)
    )
    assert last is not None
    return f"{PREFIX}-{on.year}-{last:05d}"
