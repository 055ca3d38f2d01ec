"""The in-app inbox's one write: marking notifications read (only one's own)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.notifications.models import Notification

MAX_IDS = 500


async def mark_read(
    session: AsyncSession,
    tenant: TenantId,
    *,
    user_id: uuid.UUID,
    ids: Sequence[uuid.UUID] | None,
    all: bool = False,
) -> int:
    """Mark the user's notifications `ids` (or, with `all`, every unread one) read; the
    number that changed. An id that is not one of the user's is NOT_FOUND and nothing is
    marked."""
    checks = Checks()
    if all and ids:
        checks.add("ids", Code.INVALID, "Give ids or all, not both")
    elif not all and not ids:
        checks.add("ids", Code.REQUIRED, "Give the ids to mark, or all")
    elif ids and len(ids) > MAX_IDS:
        checks.add("ids", Code.TOO_MANY, f"At most {MAX_IDS} ids")
    checks.raise_any()
    mine = (Notification.tenant_id == tenant) & (Notification.user_id == user_id)
    if ids:
        wanted = list(dict.fromkeys(ids))
        found = set(
            (
                await session.scalars(
                    select(Notification.id).where(mine, Notification.id.in_(wanted))
                )
            ).all()
        )
        missing = [i for i, value in enumerate(ids) if value not in found]
        if missing:
            raise InvalidInput(
                [p for i in missing for p in not_found(f"ids.{i}", "notification").problems]
            )
        scope = mine & Notification.id.in_(wanted)
    else:
        scope = mine
    result = await session.execute(
        update(Notification)
        .where(scope, Notification.read_at.is_(None))
        .values(read_at=func.now())
        .returning(Notification.id)
    )
    return len(result.all())
