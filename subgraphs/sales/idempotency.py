"""`Idempotency-Key` for mutations that create or post documents.

The key row is inserted first, inside the mutation's own unit of work. A concurrent
request with the same key blocks on the primary key until the first one commits (then
it finds the row and replays) or rolls back (then its insert goes through and it runs
the operation itself). So the operation runs at most once per key, and a failed attempt
leaves no key behind: a retry after an error runs again.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import BadUserInput, Conflict
from subgraphs.sales.models import IdempotencyKey

MAX_KEY_LENGTH = 200


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
