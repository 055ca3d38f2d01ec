"""`shared.db`'s transactions: the tenant bound in BEGIN's own round trip, and statements
sent on the driver connection (`DriverStatement`) inside the session's transaction."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.context import Runtime
from shared.db import Database, DriverStatement, begin, driver_connection
from subgraphs.identity.models import Role
from tests.conftest import MigratedDatabase, TenantHandle

_SETTING = DriverStatement("SELECT current_setting('app.tenant_id', true) AS tenant")


async def test_begin_carries_the_tenant_binding_in_one_round_trip(
    test_db: MigratedDatabase, tenant: TenantHandle
) -> None:
    db = Database(test_db.app, pool_size=1, max_overflow=0)
    sent: list[str] = []
    try:
        async with db.transaction(None) as session:  # a connection, its queries logged
            driver = await driver_connection(session)
            driver.add_query_logger(lambda q: sent.append(q.query))
        sent.clear()
        async with db.transaction(tenant.id) as session:
            bound = await session.scalar(text("select current_setting('app.tenant_id')"))
        await asyncio.sleep(0)
        assert bound == str(tenant.id)
        begin = [q for q in sent if q.startswith("BEGIN")]
        assert len(begin) == 1 and f"set_config('app.tenant_id', '{tenant.id}', true)" in begin[0]
        assert not [q for q in sent if "set_config" in q and not q.startswith("BEGIN")]
    finally:
        await db.dispose()


async def test_an_empty_transaction_leaves_no_tenant_on_the_connection(
    test_db: MigratedDatabase, tenant: TenantHandle
) -> None:
    db = Database(test_db.app, pool_size=1, max_overflow=0)
    try:
        async with db.transaction(tenant.id):
            pass
        async with db.transaction(tenant.id, readonly=True):
            pass
        async with db.transaction(None, readonly=True) as session:
            assert await session.scalar(text("select count(*) from identity.user")) == 0
            [row] = await _SETTING.fetch(session)
            assert row["tenant"] in ("", None)
    finally:
        await db.dispose()


async def test_a_driver_statement_runs_in_the_sessions_transaction(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    rows = DriverStatement("SELECT count(*) AS n FROM identity.role WHERE name = :name")
    async with runtime.db.transaction(tenant.id) as session:
        [row] = await _SETTING.fetch(session)
        assert row["tenant"] == str(tenant.id)
        # A pending ORM object is flushed first, as autoflush would.
        session.add(Role(tenant_id=tenant.id, id=uuid.uuid4(), name="driver", permissions=[]))
        [row] = await rows.fetch(session, name="driver")
        assert row["n"] == 1
        await session.rollback()
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        [row] = await rows.fetch(session, name="driver")
        assert row["n"] == 0  # the rollback took the driver's view with it


async def test_a_driver_statement_error_is_a_dbapi_error_and_a_savepoint_recovers(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        with pytest.raises(DBAPIError) as caught:
            async with session.begin_nested():
                await DriverStatement("SELECT 1 / :zero AS x").fetch(session, zero=0)
        assert getattr(caught.value.orig, "sqlstate", None) == "22012"  # division_by_zero
        [row] = await _SETTING.fetch(session)
        assert row["tenant"] == str(tenant.id)


def test_named_parameters_become_numbered_and_casts_stay() -> None:
    stmt = DriverStatement("SELECT CAST(:a AS int)::text, :b, :a, 'x::y'")
    assert stmt.sql == "SELECT CAST($1 AS int)::text, $2, $1, 'x::y'"
    assert stmt.names == ("a", "b")


async def test_begin_on_a_started_transaction_binds_with_a_statement(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.sessions() as session:
        await session.execute(text("select 1"))  # BEGIN has gone out, without a tenant
        await begin(session, tenant.id)
        bound = await session.scalar(text("select current_setting('app.tenant_id')"))
        assert bound == str(tenant.id)
        assert await session.scalar(text("select count(*) from identity.user")) == 1
        await session.rollback()


async def test_begin_sends_only_a_uuids_own_text(runtime: Runtime, tenant: TenantHandle) -> None:
    # A tenant that is not a `uuid.UUID` is parsed as one before it goes into BEGIN's text.
    forged = f"{tenant.id}', true); SELECT set_config('app.tenant_id', '{uuid.uuid4()}"
    async with runtime.db.sessions() as session:
        with pytest.raises(ValueError):
            await begin(session, forged)  # type: ignore[arg-type]
        await session.rollback()
    async with runtime.db.sessions() as session:
        await begin(session, str(tenant.id).upper())  # type: ignore[arg-type]
        bound = await session.scalar(text("select current_setting('app.tenant_id')"))
        assert bound == str(tenant.id)
        await session.rollback()
