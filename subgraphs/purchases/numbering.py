"""Gapless per-tenant document numbers: PO-2026-00001, REC-2026-00001, BILL-2026-00001.

A sequence would leave gaps whenever a transaction rolls back. Instead, each (tenant,
kind, year) has a counter row that the issuing transaction locks (FOR UPDATE) and bumps:
a concurrent issuer waits for the lock, and a rollback gives the number back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.purchases.models import Counter, DocumentKind

PREFIXES = {DocumentKind.ORDER: "PO", DocumentKind.RECEIPT: "REC", DocumentKind.BILL: "BILL"}


async def next_number(
    session: AsyncSession, tenant: TenantId, kind: DocumentKind, on: dt.date
) -> str:
    # The row must exist to be locked; a concurrent first issuer makes this a no-op.
    await session.execute(
        insert(Counter)
        .values(tenant_id=tenant, kind=kind.value, year=on.year, last=0)
        .on_conflict_do_nothing()
    )
    where = (Counter.tenant_id == tenant, Counter.kind == kind.value, Counter.year == on.year)
    last = (
        await session.execute(select(Counter.last).where(*where).with_for_update())
    ).scalar_one()
    await session.execute(update(Counter).where(*where).values(last=last + 1))
    return f"{PREFIXES[kind]}-{on.year}-{last + 1:05d}"
