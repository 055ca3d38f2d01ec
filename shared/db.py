"""Engines, the declarative base and tenant-scoped transactions.

Every tenant table is protected by row-level security keyed on the transaction-local
setting `app.tenant_id`; `transaction()` makes that setting the first statement, so a
pooled connection never carries a tenant from one transaction into the next.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NewType

from sqlalchemy import URL, MetaData, func, select
from sqlalchemy.ext.asyncio import (
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
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False
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
            if readonly:
                await session.connection(
                    execution_options={
                        "isolation_level": "REPEATABLE READ",
                        "postgresql_readonly": True,
                    }
                )
            if tenant is not None:
                await bind_tenant(session, tenant)
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


async def bind_tenant(session: AsyncSession, tenant: TenantId) -> None:
    """Scope the current transaction to `tenant` (transaction-local)."""
    await session.execute(select(func.set_config("app.tenant_id", str(tenant), True)))
