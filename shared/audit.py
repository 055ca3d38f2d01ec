"""The audit log: who did what sensitive thing, when, and what it changed.

`shared.audit_event` is append-only and tenant-isolated: row-level security like every
tenant table, the application role may only SELECT and INSERT, and a trigger refuses
UPDATE, DELETE and TRUNCATE to everyone (migration 0010_audit), as for the stock ledger.

An event is written with `record` in the session of the change it describes, so it
commits or rolls back with that change: a failed mutation leaves no event. The one
exception is an attempt that fails on purpose, a failed login: `record_detached` writes
it in its own transaction, as the lock-out counters are.

Who: `actor_id` is the signed-in user (or the one logging in), the request id and the
client's address come from the operation being served (`acting`, set by the subgraph's
GraphQL layer); commands run from the shell have none. What: `action` (one of `Action`),
the target's type and id, and the fields that changed with their values before and
after. Never a password, token or secret: callers pass only what may be shown to an
admin (a changed password is recorded as `passwordChanged: true`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, Index, String, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Database, TenantId, bind_tenant
from shared.pagination import Page, SortKey, paginate

PLATFORM = TenantId(uuid.UUID(int=0))
"""Where events without a tenant go (signing keys, logins to an unknown tenant): the
platform partition, as in `shared.ratelimit`."""


class Action(enum.StrEnum):
    LOGIN_SUCCEEDED = "identity.login.succeeded"
    LOGIN_FAILED = "identity.login.failed"
    USER_UPDATED = "identity.user.updated"
    USER_ROLES_CHANGED = "identity.user.roles_changed"
    USER_DEACTIVATED = "identity.user.deactivated"
    ROLE_CREATED = "identity.role.created"
    ROLE_PERMISSIONS_CHANGED = "identity.role.permissions_changed"
    SIGNING_KEY_ROTATED = "identity.signing_key.rotated"
    SIGNING_KEY_RETIRED = "identity.signing_key.retired"
    CREDIT_LIMIT_CHANGED = "crm.customer.credit_limit_changed"
    PRICE_CHANGED = "stock.product.price_changed"
    STOCK_ADJUSTED = "stock.adjusted"
    SALES_ORDER_CANCELLED = "sales.order.cancelled"
    PURCHASE_ORDER_CANCELLED = "purchases.order.cancelled"
    PRODUCTION_ORDER_CANCELLED = "production.order.cancelled"


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_tenant_id_occurred_at", "tenant_id", "occurred_at"),
        {"schema": "shared"},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # clock_timestamp, not now(): events of one transaction keep their order.
    occurred_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[uuid.UUID | None]
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(64))


# --- who is acting -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID | None = None
    request_id: str | None = None
    source: str | None = None


_ACTOR: ContextVar[Actor | None] = ContextVar("nexo_audit_actor", default=None)


@contextmanager
def acting(actor: Actor) -> Iterator[Actor]:
    """Events recorded inside the block name `actor` (unless told another user)."""
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def current_actor() -> Actor:
    return _ACTOR.get() or Actor()


# --- writing -----------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")  # 12.5000 and 12.5 are one price
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs, before and after."""
    keys = [k for k in after if _jsonable(before.get(k)) != _jsonable(after.get(k))]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


_UNSET: Any = object()


def _event(
    tenant: TenantId,
    *,
    action: Action,
    target_type: str,
    target_id: object | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    actor_id: uuid.UUID | None,
) -> AuditEvent:
    actor = current_actor()
    return AuditEvent(
        tenant_id=tenant,
        id=uuid.uuid4(),
        action=str(action),
        actor_id=actor.user_id if actor_id is _UNSET else actor_id,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:128],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=actor.request_id[:128] if actor.request_id else None,
        source=actor.source[:64] if actor.source else None,
    )


async def record(
    session: AsyncSession,
    tenant: TenantId,
    *,
    action: Action,
    target_type: str,
    target_id: object | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_id: uuid.UUID | None = _UNSET,
) -> AuditEvent:
    """Append an event in `session`'s transaction: it exists exactly when the change does.
    The session must be bound to `tenant` (for `PLATFORM` this binds it)."""
    if tenant == PLATFORM:
        await bind_tenant(session, PLATFORM)
    event = _event(
        tenant,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        actor_id=actor_id,
    )
    session.add(event)
    await session.flush()
    return event


async def record_detached(
    db: Database,
    tenant: TenantId | None,
    *,
    action: Action,
    target_type: str,
    target_id: object | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_id: uuid.UUID | None = _UNSET,
) -> None:
    """`record` in a transaction of its own, for an attempt whose own work rolls back (a
    failed login); `tenant` None is the platform partition."""
    where = tenant or PLATFORM
    async with db.transaction(where) as session:
        session.add(
            _event(
                where,
                action=action,
                target_type=target_type,
                target_id=target_id,
                before=before,
                after=after,
                actor_id=actor_id,
            )
        )


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actions: Sequence[str] = ()
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def list_events(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: AuditFilter | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[AuditEvent]:
    """The tenant's events, newest first."""
    wanted = filter or AuditFilter()
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant)
    if wanted.actions:
        stmt = stmt.where(AuditEvent.action.in_(list(wanted.actions)))
    if wanted.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == wanted.actor_id)
    if wanted.target_type is not None:
        stmt = stmt.where(AuditEvent.target_type == wanted.target_type)
    if wanted.target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == wanted.target_id)
    if wanted.since is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= wanted.since)
    if wanted.until is not None:
        stmt = stmt.where(AuditEvent.occurred_at < wanted.until)
    return await paginate(
        session,
        stmt,
        keys=[
            SortKey(AuditEvent.occurred_at, descending=True),
            SortKey(AuditEvent.id, descending=True),
        ],
        key_of=lambda e: (e.occurred_at, e.id),
        first=first,
        after=after,
    )
