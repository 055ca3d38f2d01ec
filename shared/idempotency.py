"""`Idempotency-Key` for mutations that create or post documents (DESIGN section 5).

The key row is inserted first, inside the mutation field's own unit of work. A concurrent
request with the same key blocks on the primary key until the first one commits (then it
finds the row and replays) or rolls back (then its insert goes through and it runs the
operation itself). So an operation runs at most once per key, and a failed attempt leaves
no key behind: a retry after an error runs again. A replay answers with the stored
object as it is now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import orjson
from sqlalchemy import DateTime, String, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, TenantId
from shared.errors import BadUserInput, Conflict

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = ({"schema": "shared"},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def request_hash(operation: str, request: Any) -> str:
    body = orjson.dumps(
        {"operation": operation, "input": request}, default=str, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(body).hexdigest()


async def claim(
    session: AsyncSession, tenant: TenantId, *, key: str, operation: str, request: Any
) -> uuid.UUID | None:
    """None when this request owns `key` now; the stored result's id for a replay.

    Raises `Conflict` when the key was used for another operation or another input.
    """
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise BadUserInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    digest = request_hash(operation, request)
    inserted = await session.scalar(
        insert(IdempotencyKey)
        .values(tenant_id=tenant, key=key, operation=operation, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if inserted is not None:
        return None
    row = (
        await session.execute(
            select(
                IdempotencyKey.operation, IdempotencyKey.request_hash, IdempotencyKey.response
            ).where(IdempotencyKey.tenant_id == tenant, IdempotencyKey.key == key)
        )
    ).one()
    if row.operation != operation or row.request_hash != digest:
        raise Conflict("This Idempotency-Key was used with another request", idempotencyKey=key)
    assert row.response is not None
    return uuid.UUID(row.response["id"])


async def record(
    session: AsyncSession, tenant: TenantId, *, key: str, result_type: str, result_id: uuid.UUID
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.tenant_id == tenant, IdempotencyKey.key == key)
        .values(response={"type": result_type, "id": str(result_id)})
    )
