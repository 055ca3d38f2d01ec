"""Owners of CRM records are identity's users: a record may be given only to an active
user of the tenant."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.validation import Checks
from subgraphs.identity import api as identity


async def check_owner(
    session: AsyncSession,
    tenant: TenantId,
    checks: Checks,
    owner_id: uuid.UUID | None,
    field: str = "ownerId",
) -> None:
    if owner_id is None:
        return
    users = await identity.users_by_id(session, tenant, [owner_id])
    if owner_id not in users or not users[owner_id].active:
        checks.add(field, Code.NOT_FOUND, "No active user with this id")
