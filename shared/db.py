"""Engines, the declarative base and tenant-scoped transactions.

Every tenant table is protected by row-level security keyed on the transaction-local
setting `app.tenant_id`; `transaction()` (and `begin()`) sets it in the transaction's
BEGIN, so a pooled connection never carries a tenant from one transaction into the next.

The hot paths (a reservation, a release) cost about a millisecond of SQLAlchemy per
statement, about what PostgreSQL spends on them; `DriverStatement` runs such a statement
on the session's asyncpg connection inside the session's transaction, and `begin()` sends
the tenant binding in BEGIN's round trip rather than as a statement of its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, NewType

import asyncpg
from sqlalchemy import URL, MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

TenantId = NewType("TenantId", uuid.UUID)
"""A tenant id that an authority vouched for: the auth layer (from a verified token) or
identity's sign-up/login. Code that only has a raw UUID cannot pass one by accident."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


DOMAIN_SCHEMAS = (
    "shared",
    "identity",
    "crm",
    "stock",
    "sales",
    "purchases",
    "production",
    "notifications",
)
"""PostgreSQL schemas owned by NEXO; the catalog test checks every table in them."""

GLOBAL_TABLES = frozenset(
    {
        "identity.tenant",
        "identity.signing_key",
        "identity.login_throttle",
    }
)
"""The only tables without `tenant_id`: they are read before a tenant is known."""


class Database:
    """The application role's engine. Owns no tables and cannot bypass RLS."""

    def __init__(self, url: str | URL, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            pool_use_lifo=True,
            connect_args={"connection_class": BindingConnection},
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(
        self, tenant: TenantId | None, *, readonly: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One transaction scoped to `tenant`; commits when the block exits normally.

        Read-only transactions run at REPEATABLE READ, so a whole query sees one snapshot.
        """
        async with self.sessions() as session:
            await begin(session, tenant, readonly=readonly)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            if readonly:
                # Nothing to keep, and a read that failed leaves nothing to commit.
                await session.rollback()
            else:
                await session.commit()


_BIND = text("SELECT set_config('app.tenant_id', :tenant, true)")


async def bind_tenant(session: AsyncSession, tenant: TenantId) -> None:
    """Scope the current transaction to `tenant` (transaction-local)."""
    await session.execute(_BIND, {"tenant": str(tenant)})


class BindingConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection, which can send the tenant binding with the next BEGIN: one
    simple-query round trip for `BEGIN ...; SELECT set_config(...)`. Only `begin()` arms
    it, with a tenant id it has parsed as a UUID, and disarms it whatever happens."""

    _bind_on_begin: str | None = None

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 (asyncpg's signature)
        tenant = self._bind_on_begin
        if tenant is not None and not args and query.startswith("BEGIN"):
            self._bind_on_begin = None
            query = f"{query} SELECT set_config('app.tenant_id', '{tenant}', true);"
        status: str = await super().execute(query, *args, timeout=timeout)
        return status


_READONLY = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}


async def begin(session: AsyncSession, tenant: TenantId | None, *, readonly: bool = False) -> None:
    """Start a fresh session's transaction now, scoped to `tenant`: BEGIN and the binding
    go in one round trip on a `BindingConnection`. Read-only transactions run at
    REPEATABLE READ, so a whole query sees one snapshot."""
    conn = await (
        session.connection(execution_options=_READONLY) if readonly else session.connection()
    )
    driver, adapter = await _connections(conn)
    if tenant is None or not isinstance(driver, BindingConnection) or _started(adapter):
        if tenant is not None:
            await bind_tenant(session, tenant)
        return
    # Only a UUID's own text goes into the statement: a `uuid.UUID` prints canonically,
    # anything else is parsed as one first.
    value = tenant if type(tenant) is uuid.UUID else uuid.UUID(str(tenant))
    driver._bind_on_begin = str(value)
    try:
        await adapter._start_transaction()
        bound = driver._bind_on_begin is None
    finally:
        driver._bind_on_begin = None
    if not bound:  # BEGIN went some other way: bind with a statement of its own
        await bind_tenant(session, tenant)


async def _connections(conn: AsyncConnection) -> tuple[Any, Any]:
    """The asyncpg connection and SQLAlchemy's adapter around it."""
    fairy = await conn.get_raw_connection()
    return fairy.driver_connection, fairy.dbapi_connection


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection the session's transaction runs on (to log its queries)."""
    driver: asyncpg.Connection = (await _connections(await session.connection()))[0]
    return driver


def _started(adapter: Any) -> bool:
    """Whether SQLAlchemy's asyncpg adapter has sent its BEGIN (it sends it lazily, before
    the first statement; `begin()` and `DriverStatement` make it send it now)."""
    return adapter._transaction is not None or adapter.isolation_level == "autocommit"


_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class DriverStatement:
    """A hot-path statement run on the session's own asyncpg connection, inside its
    transaction, without SQLAlchemy's per-statement work. Written with `:name`
    parameters like `text()`; pending ORM changes are flushed first, as autoflush would,
    and a database error arrives as SQLAlchemy's `DBAPIError` (its `orig` has the
    SQLSTATE), so savepoint retries and error mapping work as for any statement. It
    bypasses SQLAlchemy's cursor events: count it with asyncpg's query logger."""

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        self.sql = _NAMED.sub(number, sql)
        self.names: Sequence[str] = tuple(names)

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        """`params` in the order of the statement's `$n` placeholders."""
        return [params[n] for n in self.names]

    async def fetch(self, session: AsyncSession, **params: Any) -> list[asyncpg.Record]:
        if session.new or session.dirty or session.deleted:
            await session.flush()
        driver, adapter = await _connections(await session.connection())
        if not _started(adapter):
            await adapter._start_transaction()
        from shared import tracing  # not at the top: the CLI loads this module, not tracing

        with tracing.sql_span(self.sql):
            try:
                rows: list[asyncpg.Record] = await driver.fetch(self.sql, *self.arguments(params))
                return rows
            except asyncpg.PostgresError as exc:
                raise DBAPIError(self.sql, params, exc) from exc
