"""Row-level security: the catalog, isolation between tenants, and pooled connections."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.context import Runtime
from shared.db import DOMAIN_SCHEMAS, GLOBAL_TABLES, Database
from tests.conftest import MigratedDatabase, TenantHandle

CATALOG = text(
    """
    select n.nspname || '.' || c.relname as name,
           c.relrowsecurity, c.relforcerowsecurity,
           pg_get_userbyid(c.relowner) as owner,
           (select a.attname from pg_index i
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
             where i.indrelid = c.oid and i.indisprimary) as first_pk_column,
           exists (select 1 from pg_policy p where p.polrelid = c.oid) as has_policy
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname = any(:schemas)
     order by 1
    """
)


async def tenant_tables(owner_engine: AsyncEngine) -> list[str]:
    async with owner_engine.connect() as conn:
        rows = (await conn.execute(CATALOG, {"schemas": list(DOMAIN_SCHEMAS)})).all()
    return [r.name for r in rows if r.name not in GLOBAL_TABLES]


async def test_every_table_is_tenant_keyed_with_forced_rls(
    owner_engine: AsyncEngine, runtime: Runtime
) -> None:
    async with owner_engine.connect() as conn:
        rows = (await conn.execute(CATALOG, {"schemas": list(DOMAIN_SCHEMAS)})).all()
    names = {r.name for r in rows}
    assert names >= GLOBAL_TABLES, "a listed global table does not exist"
    app_role = runtime.settings.app_role
    for r in rows:
        assert r.owner != app_role, f"{r.name} is owned by the application role"
        if r.name in GLOBAL_TABLES:
            continue
        assert r.relrowsecurity, f"{r.name}: row-level security not enabled"
        assert r.relforcerowsecurity, f"{r.name}: row-level security not forced"
        assert r.has_policy, f"{r.name}: no policy"
        assert r.first_pk_column == "tenant_id", f"{r.name}: primary key not led by tenant_id"


async def test_application_role_cannot_bypass_anything(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as conn:
        role = (
            await conn.execute(
                text(
                    "select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                    "from pg_roles where rolname = current_user"
                )
            )
        ).one()
        owned = await conn.scalar(
            text(
                "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where pg_get_userbyid(c.relowner) = current_user and n.nspname = any(:s)"
            ),
            {"s": list(DOMAIN_SCHEMAS)},
        )
    assert role.rolname == runtime.settings.app_role
    assert not role.rolsuper
    assert not role.rolbypassrls
    assert not role.rolcreaterole
    assert not role.rolcreatedb
    assert owned == 0


async def test_a_tenant_sees_only_its_rows_and_cannot_write_into_another(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    tables = await tenant_tables(owner_engine)
    written = 0
    for table in tables:
        q = _quote(table)
        async with owner_engine.connect() as conn:
            a_rows = await conn.scalar(
                text(f"select count(*) from {q} where tenant_id = :a"), {"a": tenant.id}
            )
        async with runtime.db.transaction(tenant.id, readonly=True) as session:
            foreign = await session.scalar(
                text(f"select count(*) from {q} where tenant_id <> :a"), {"a": tenant.id}
            )
            visible = await session.scalar(text(f"select count(*) from {q}"))
        assert foreign == 0, f"{table}: tenant A sees other tenants' rows"
        assert visible == a_rows, f"{table}: tenant A does not see exactly its rows"
        if a_rows:
            with pytest.raises(DBAPIError, match="row-level security"):
                async with runtime.db.transaction(tenant.id) as session:
                    await session.execute(
                        text(f"update {q} set tenant_id = :b"), {"b": other_tenant.id}
                    )
            written += 1
    assert written >= 4, "expected sign-up to leave rows in the identity tables"


async def test_insert_for_another_tenant_is_refused(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.transaction(tenant.id) as session:
            await session.execute(
                text(
                    "insert into identity.role (tenant_id, id, name, permissions) "
                    "values (:b, gen_random_uuid(), 'intruder', '{}')"
                ),
                {"b": other_tenant.id},
            )


async def test_without_a_tenant_every_table_reads_empty(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    for table in await tenant_tables(owner_engine):
        async with runtime.db.transaction(None, readonly=True) as session:
            assert await session.scalar(text(f"select count(*) from {_quote(table)}")) == 0, table


async def test_a_pooled_connection_never_carries_a_tenant(
    test_db: MigratedDatabase, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    db = Database(test_db.app, pool_size=1, max_overflow=0)
    try:
        async with db.transaction(tenant.id, readonly=True) as session:
            mine = await session.scalar(text("select count(*) from identity.user"))
            assert mine == 1
        async with db.transaction(other_tenant.id, readonly=True) as session:
            ids = (await session.execute(text("select tenant_id from identity.user"))).scalars()
            assert set(ids) == {other_tenant.id}
        async with db.transaction(None, readonly=True) as session:
            assert await session.scalar(text("select count(*) from identity.user")) == 0
            assert await session.scalar(text("select current_setting('app.tenant_id', true)")) in (
                "",
                None,
            )
    finally:
        await db.dispose()


def _quote(table: str) -> str:
    schema, name = table.split(".")
    return f'"{schema}"."{name}"'
