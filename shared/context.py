"""Per-request state: who is asking, the database work, the dataloaders.

Queries share one read-only transaction per request. Each mutation root field runs in
its own unit of work (opened by `shared.graphql.UnitOfWorkExecutionContext`), committed
only when the whole field succeeded. Resolvers never see transactions: they ask for
`ctx.session()`, which serialises access because one connection runs one statement at
a time while GraphQL resolves sibling fields concurrently.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, TokenVerifier, require
from shared.db import Database, TenantId, begin
from shared.errors import NexoError
from shared.settings import Settings

T = TypeVar("T")


@dataclass(slots=True)
class Runtime:
    """What a subgraph needs from its process: built once, shared by every request."""

    settings: Settings
    db: Database
    verifier: TokenVerifier


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.failed = False

    def fail(self) -> None:
        self.failed = True


@dataclass(eq=False)
class RequestContext:
    runtime: Runtime
    request_id: str
    headers: Mapping[str, str]
    principal_or_error: Principal | NexoError | None
    loaders: dict[str, Any] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _reads: AsyncExitStack | None = None
    _read_session: AsyncSession | None = None
    uow: UnitOfWork | None = None

    @property
    def principal(self) -> Principal | None:
        if isinstance(self.principal_or_error, NexoError):
            raise self.principal_or_error
        return self.principal_or_error

    def assume(self, principal: Principal) -> None:
        """Act as `principal` for the rest of the request (after sign-up or login)."""
        self.principal_or_error = principal

    def require(self, permission: str | None = None) -> Principal:
        return require(self.principal, permission)

    @property
    def tenant(self) -> TenantId | None:
        p = self.principal_or_error
        return p.tenant_id if isinstance(p, Principal) else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        lease = _LEASE.get()
        if lease is not None and lease.owner is self and lease.active:
            # Re-entered by the holder or by a task it spawned while holding the session
            # (a dataloader batch inside a mutation runs in its own task, which inherits
            # this context): waiting for the lock would wait for ourselves forever.
            async with lease.nested:
                yield self._current_session()
            return
        async with self._lock:
            lease = _Lease(self)
            token = _LEASE.set(lease)
            try:
                if self.uow is None and self._read_session is None:
                    stack = AsyncExitStack()
                    self._read_session = await stack.enter_async_context(
                        self.runtime.db.transaction(self.tenant, readonly=True)
                    )
                    self._reads = stack
                yield self._current_session()
            finally:
                lease.active = False
                _LEASE.reset(token)

    def _current_session(self) -> AsyncSession:
        if self.uow is not None:
            return self.uow.session
        assert self._read_session is not None
        return self._read_session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction for one mutation field; rolled back if marked failed."""
        async with self._lock:
            await self._end_reads()
            session = self.runtime.db.sessions()
            uow = UnitOfWork(session)
            try:
                await begin(session, self.tenant)
            except BaseException:
                await session.close()
                raise
            self.uow = uow
        try:
            yield uow
        except BaseException:
            uow.fail()
            raise
        finally:
            async with self._lock:
                self.uow = None
                # Whatever was cached was read inside (or before) this write.
                self.loaders.clear()
                if uow.failed:
                    await session.rollback()
                else:
                    await session.commit()
                await session.close()

    async def _end_reads(self) -> None:
        if self._reads is not None:
            stack, self._reads, self._read_session = self._reads, None, None
            await stack.aclose()

    async def close(self) -> None:
        async with self._lock:
            await self._end_reads()

    def loader(self, key: str, factory: Callable[[], T]) -> T:
        """The request's single instance of a dataloader (one per key, cached per request)."""
        existing = self.loaders.get(key)
        if existing is None:
            existing = self.loaders[key] = factory()
        return existing


class _Lease:
    """Proof that the current task, or the task that spawned it, holds a request's session.

    Tasks copy their creator's context, so the lease reaches loader batches scheduled
    while the session is held; `active` turns false when the holder lets go, so a task
    that outlives the hold queues for the lock like any other. `nested` serialises the
    holder's helpers among themselves: one connection runs one statement at a time."""

    __slots__ = ("active", "nested", "owner")

    def __init__(self, owner: RequestContext) -> None:
        self.owner = owner
        self.active = True
        self.nested = asyncio.Lock()


_LEASE: ContextVar[_Lease | None] = ContextVar("nexo_session_lease", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex
