"""Access-token revocation that takes effect within seconds.

An access token carries its session (`sid`, the refresh-token family of one login) and
its subject's token version (`ver`). Logging out revokes a session; deactivating a user,
changing their roles or password, or changing a role they hold raises their version, so
every token issued before stops verifying. Each revocation is a row of
`shared.token_revocation`, kept only as long as a token issued before it can live.

Every process keeps each tenant's revocations in memory for `ttl` seconds
(`NEXO_REVOCATION_CACHE_SECONDS`, default 5) and reloads them with one indexed query when
they are older: a revoked token stops verifying at once in the process that revoked it
(the cache there learns of the revocation when its transaction commits) and within `ttl`
seconds (plus one query) in every other process. Between loads, a check is two lookups
in memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Index, Integer, delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.auth import Principal
from shared.db import Base, Database, TenantId

if TYPE_CHECKING:
    from shared.context import Runtime

DEFAULT_LIFETIME = 24 * 3600
"""Seconds a revocation row is kept when the caller names no token lifetime: longer than
any access token lives."""


class TokenRevocation(Base):
    """A revoked session (`session_id`) or a subject's lowest valid token version."""

    __tablename__ = "token_revocation"
    __table_args__ = (
        Index("ix_token_revocation_tenant_id_expires_at", "tenant_id", "expires_at"),
        {"schema": "shared"},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID | None]
    session_id: Mapped[uuid.UUID | None]
    min_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Revocations:
    """One tenant's revocations in force."""

    sessions: frozenset[uuid.UUID] = frozenset()
    subjects: Mapping[uuid.UUID, int] = field(default_factory=dict)
    """Subject → the lowest token version still valid."""

    def refuses(self, principal: Principal) -> bool:
        if principal.session_id is not None and principal.session_id in self.sessions:
            return True
        return principal.version < self.subjects.get(principal.user_id, 0)

    def merged(self, other: Revocations) -> Revocations:
        subjects = dict(self.subjects)
        for subject, version in other.subjects.items():
            subjects[subject] = max(version, subjects.get(subject, 0))
        return Revocations(self.sessions | other.sessions, subjects)


EMPTY = Revocations()

# --- writing -------------------------------------------------------------------------


def _expiry(lifetime: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)


async def revoke_session(
    session: AsyncSession,
    tenant: TenantId,
    session_id: uuid.UUID,
    *,
    subject_id: uuid.UUID | None = None,
    lifetime: int = DEFAULT_LIFETIME,
) -> None:
    """Every access token of the login `session_id` stops verifying."""
    session.add(
        TokenRevocation(
            tenant_id=tenant,
            subject_id=subject_id,
            session_id=session_id,
            expires_at=_expiry(lifetime),
        )
    )
    await session.flush()
    _announce(session, tenant, Revocations(sessions=frozenset({session_id})))


async def revoke_subject(
    session: AsyncSession,
    tenant: TenantId,
    subject_id: uuid.UUID,
    *,
    min_version: int,
    lifetime: int = DEFAULT_LIFETIME,
) -> None:
    """Every access token of `subject_id` with a version below `min_version` stops
    verifying."""
    session.add(
        TokenRevocation(
            tenant_id=tenant,
            subject_id=subject_id,
            min_version=min_version,
            expires_at=_expiry(lifetime),
        )
    )
    # Rows past their time only cost space: drop the tenant's old ones as we go.
    await session.execute(
        delete(TokenRevocation).where(
            TokenRevocation.tenant_id == tenant,
            TokenRevocation.expires_at < func.now() - dt.timedelta(hours=1),
        )
    )
    await session.flush()
    _announce(session, tenant, Revocations(subjects={subject_id: min_version}))


async def load(session: AsyncSession, tenant: TenantId) -> Revocations:
    rows = await session.execute(
        select(
            TokenRevocation.subject_id, TokenRevocation.session_id, TokenRevocation.min_version
        ).where(TokenRevocation.tenant_id == tenant, TokenRevocation.expires_at > func.now())
    )
    sessions: set[uuid.UUID] = set()
    subjects: dict[uuid.UUID, int] = {}
    for subject_id, session_id, min_version in rows:
        if session_id is not None:
            sessions.add(session_id)
        elif subject_id is not None and min_version is not None:
            subjects[subject_id] = max(min_version, subjects.get(subject_id, 0))
    return Revocations(frozenset(sessions), subjects)


# --- the per-process cache -------------------------------------------------------------

Loader = Callable[[TenantId], Awaitable[Revocations]]

_LIVE: weakref.WeakSet[RevocationCache] = weakref.WeakSet()


@dataclass(slots=True)
class _Entry:
    revocations: Revocations
    loaded_at: float


class RevocationCache:
    """Each tenant's revocations, reloaded when older than `ttl` seconds; at most
    `capacity` tenants are kept (least recently used go first). `local=True` caches hear
    of revocations committed in this process at once (`local=False` stands for another
    process in tests)."""

    def __init__(
        self,
        loader: Loader,
        *,
        ttl: float = 5.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        local: bool = True,
    ) -> None:
        self._loader = loader
        self.ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[TenantId, _Entry] = OrderedDict()
        self._loading: dict[TenantId, asyncio.Future[Revocations]] = {}
        self._notes: dict[TenantId, list[tuple[float, Revocations]]] = {}
        self.loads = 0
        if local:
            _LIVE.add(self)

    @classmethod
    def for_database(cls, db: Database, *, ttl: float = 5.0, local: bool = True) -> RevocationCache:
        async def loader(tenant: TenantId) -> Revocations:
            async with db.transaction(tenant, readonly=True) as session:
                return await load(session, tenant)

        return cls(loader, ttl=ttl, local=local)

    async def refuses(self, principal: Principal) -> bool:
        return (await self.get(principal.tenant_id)).refuses(principal)

    async def get(self, tenant: TenantId) -> Revocations:
        entry = self._entries.get(tenant)
        if entry is not None and self._clock() - entry.loaded_at <= self.ttl:
            self._entries.move_to_end(tenant)
            return entry.revocations
        return await self._reload(tenant)

    async def _reload(self, tenant: TenantId) -> Revocations:
        pending = self._loading.get(tenant)
        if pending is not None:
            return await asyncio.shield(pending)
        started = self._clock()
        future: asyncio.Future[Revocations] = asyncio.get_running_loop().create_future()
        self._loading[tenant] = future
        try:
            self.loads += 1
            loaded = await self._loader(tenant)
            # A revocation committed here while the load ran may be missing from it.
            for noted_at, note in self._notes.get(tenant, []):
                if noted_at >= started - self.ttl:
                    loaded = loaded.merged(note)
            self._entries[tenant] = _Entry(loaded, started)
            self._entries.move_to_end(tenant)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
            future.set_result(loaded)
            return loaded
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a lone loader does not warn
            raise
        finally:
            del self._loading[tenant]

    def note(self, tenant: TenantId, revocations: Revocations) -> None:
        """A revocation committed in this process: in force here from now on."""
        now = self._clock()
        notes = [n for n in self._notes.get(tenant, []) if n[0] >= now - 2 * self.ttl]
        notes.append((now, revocations))
        self._notes[tenant] = notes
        entry = self._entries.get(tenant)
        if entry is not None:
            entry.revocations = entry.revocations.merged(revocations)

    def forget(self, tenant: TenantId | None = None) -> None:
        if tenant is None:
            self._entries.clear()
        else:
            self._entries.pop(tenant, None)


def after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` once the session's current transaction has committed."""

    def run(_: Session) -> None:
        action()

    event.listen(session.sync_session, "after_commit", run, once=True)


def _announce(session: AsyncSession, tenant: TenantId, revocations: Revocations) -> None:
    def tell() -> None:
        for cache in list(_LIVE):
            cache.note(tenant, revocations)

    after_commit(session, tell)


def ensure_revocations(runtime: Runtime) -> None:
    """Give the runtime's verifier its revocation cache (once per runtime). The cache
    loads through a pool of its own, one connection: a reload is bookkeeping of the
    process, not work of the request that happens to trigger it, and never waits behind
    requests for a connection."""
    verifier = runtime.verifier
    if verifier.revocations is None:
        ttl = float(runtime.settings.revocation_cache_seconds)
        own = Database(runtime.db.engine.url, pool_size=1, max_overflow=4)
        verifier.revocations = RevocationCache.for_database(own, ttl=ttl)
