"""Citus readiness, against the migrated catalog: every key of a tenant table includes
`tenant_id`, `nexo citus plan` covers every table, and its calls apply in order under
Citus' rules (emulated by stand-in functions: no Citus server is available here)."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from typer.testing import CliRunner

from nexo.citus import NotDistributable, build_plan, nexo_plan, plan_sql, statements
from nexo.cli import app
from shared.db import DOMAIN_SCHEMAS, GLOBAL_TABLES

TABLES = text(
    """
    select n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname = any(:schemas)
    """
)

# Every primary key, unique constraint, foreign key and unique index, with its columns
# (and, for a foreign key, the referenced table and columns).
KEYS = text(
    """
    select n.nspname || '.' || c.relname as tbl, k.conname as name, k.contype::text as kind,
           array(select a.attname from unnest(k.conkey) with ordinality u(attnum, i)
                  join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum
                 order by u.i) as columns,
           rn.nspname || '.' || r.relname as referenced,
           array(select a.attname from unnest(k.confkey) with ordinality u(attnum, i)
                  join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum
                 order by u.i) as referenced_columns
      from pg_constraint k
      join pg_class c on c.oid = k.conrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_class r on r.oid = k.confrelid
      left join pg_namespace rn on rn.oid = r.relnamespace
     where k.contype in ('p', 'u', 'f') and n.nspname = any(:schemas)
    union all
    select n.nspname || '.' || c.relname, ic.relname, 'i',
           array(select a.attname from unnest(i.indkey) with ordinality u(attnum, j)
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.attnum
                 order by u.j),
           null, null
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_class ic on ic.oid = i.indexrelid
      join pg_namespace n on n.oid = c.relnamespace
     where i.indisunique and n.nspname = any(:schemas)
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
    """
)


async def _catalog_tables(owner_engine: AsyncEngine) -> set[str]:
    async with owner_engine.connect() as conn:
        return set((await conn.scalars(TABLES, {"schemas": list(DOMAIN_SCHEMAS)})).all())


async def test_every_key_of_a_tenant_table_includes_tenant_id(owner_engine: AsyncEngine) -> None:
    """So each tenant table can be distributed by tenant_id, and each other table can be a
    reference table (it references no tenant table)."""
    async with owner_engine.connect() as conn:
        keys = (await conn.execute(KEYS, {"schemas": list(DOMAIN_SCHEMAS)})).all()
    assert keys, "the catalog query found no keys"
    wrong = []
    for key in keys:
        if key.tbl in GLOBAL_TABLES:
            if key.kind == "f" and key.referenced not in GLOBAL_TABLES:
                wrong.append(f"{key.tbl}.{key.name}: a global table references {key.referenced}")
            continue
        if "tenant_id" not in key.columns:
            wrong.append(f"{key.tbl}.{key.name} ({key.kind}) {key.columns} lacks tenant_id")
        if key.kind == "p" and key.columns[0] != "tenant_id":
            wrong.append(f"{key.tbl}: primary key {key.columns} not led by tenant_id")
        if key.kind == "f" and key.referenced not in GLOBAL_TABLES:
            # Colocated join on the distribution column: tenant_id to tenant_id.
            pairs = dict(zip(key.columns, key.referenced_columns, strict=True))
            if pairs.get("tenant_id") != "tenant_id":
                wrong.append(f"{key.tbl}.{key.name}: tenant_id does not reference tenant_id")
    assert wrong == []
    kinds = {k.kind for k in keys}
    assert {"p", "u", "f"} <= kinds


async def test_the_plan_covers_every_table_of_the_catalog(owner_engine: AsyncEngine) -> None:
    plan = nexo_plan()
    tables = await _catalog_tables(owner_engine)
    assert set(plan.reference) == GLOBAL_TABLES
    assert set(plan.reference) | set(plan.distributed) == tables
    assert not set(plan.reference) & set(plan.distributed)
    sql = plan_sql()
    for table in tables:
        assert f"'{table}'" in sql, f"{table} missing from `nexo citus plan`"


async def test_the_plan_applies_in_order_under_citus_rules(owner_engine: AsyncEngine) -> None:
    """Runs `nexo citus plan`'s statements against the migrated schema with stand-ins for
    Citus' functions that enforce its rules: every table named exists, a distributed
    table's distribution column exists and is in every unique index, each foreign key
    points at a reference table or at an already distributed table of the same
    colocation group through the distribution column, and a reference table references
    only reference tables. The transaction is rolled back."""
    async with owner_engine.connect() as conn:
        for statement in EMULATOR.split("\n\n"):
            await conn.exec_driver_sql(statement)
        await conn.execute(text("set local search_path = citus_emulator, public"))
        for statement in plan_sql().splitlines():
            if statement.startswith("--") or statement in {"BEGIN;", "COMMIT;"}:
                continue
            await conn.exec_driver_sql(statement)
        placed = dict((await conn.execute(text("select rel::text, kind from placed"))).all())
        await conn.rollback()
    tables = await _catalog_tables(owner_engine)
    assert {name.replace('"', "") for name in placed} == tables
    assert {
        n.replace('"', "") for n, kind in placed.items() if kind == "reference"
    } == GLOBAL_TABLES


async def _run_all(conn: AsyncConnection, sql: list[str]) -> None:
    for statement in sql:
        await conn.exec_driver_sql(statement)


async def test_the_emulator_refuses_a_plan_out_of_order(owner_engine: AsyncEngine) -> None:
    """The stand-ins are not vacuous: tables distributed before those they reference fail."""
    from sqlalchemy.exc import DBAPIError

    plan = nexo_plan()
    backwards = (
        statements(plan)[: len(plan.reference)] + statements(plan)[len(plan.reference) :][::-1]
    )
    async with owner_engine.connect() as conn:
        for statement in EMULATOR.split("\n\n"):
            await conn.exec_driver_sql(statement)
        await conn.execute(text("set local search_path = citus_emulator, public"))
        with pytest.raises(DBAPIError, match="not distributed yet"):
            await _run_all(conn, backwards)
        await conn.rollback()


def test_citus_plan_command_prints_the_plan() -> None:
    result = CliRunner().invoke(app, ["citus", "plan"])
    assert result.exit_code == 0, result.output
    assert result.output == plan_sql()
    plan = nexo_plan()
    calls = [line for line in result.output.splitlines() if line.startswith("SELECT")]
    assert calls == statements(plan)
    anchor = plan.distributed[0]
    assert f"SELECT create_distributed_table('{anchor}', 'tenant_id');" in calls
    for table in plan.distributed[1:]:
        assert (
            f"SELECT create_distributed_table('{table}', 'tenant_id', colocate_with => '{anchor}');"
            in calls
        )


def test_a_key_without_tenant_id_is_refused() -> None:
    from sqlalchemy import Column, ForeignKeyConstraint, Table, UniqueConstraint, Uuid

    metadata = MetaData()
    Table(
        "parent",
        metadata,
        Column("tenant_id", Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("code", Uuid),
        UniqueConstraint("code"),
        schema="crm",
    )
    Table(
        "child",
        metadata,
        Column("tenant_id", Uuid, primary_key=True),
        Column("id", Uuid, primary_key=True),
        Column("parent_id", Uuid),
        ForeignKeyConstraint(["parent_id"], ["crm.parent.code"]),
        schema="crm",
    )
    with pytest.raises(NotDistributable) as refused:
        build_plan(metadata)
    assert "crm.parent: UniqueConstraint ['code'] lacks tenant_id" in str(refused.value)
    assert "crm.child: ForeignKeyConstraint ['parent_id'] lacks tenant_id" in str(refused.value)


EMULATOR = """create schema citus_emulator

create table citus_emulator.placed (
    rel regclass primary key, kind text not null, colocation regclass, column_name text
)

create function citus_emulator.create_reference_table(rel regclass) returns void
language plpgsql as $$
declare
    fk record;
begin
    for fk in select confrelid::regclass as target from pg_constraint
               where conrelid = rel and contype = 'f' and confrelid <> rel loop
        if not exists (select 1 from citus_emulator.placed p
                        where p.rel = fk.target and p.kind = 'reference') then
            raise exception 'reference table % references %, not a reference table yet',
                rel, fk.target;
        end if;
    end loop;
    insert into citus_emulator.placed values (rel, 'reference', null, null);
end $$

create function citus_emulator.create_distributed_table(
    rel regclass, distribution_column text, colocate_with text default 'default'
) returns void language plpgsql as $$
declare
    col smallint;
    fk record;
    group_anchor regclass := rel;
    target record;
begin
    select attnum into col from pg_attribute
     where attrelid = rel and attname = distribution_column and not attisdropped;
    if col is null then
        raise exception '% has no column %', rel, distribution_column;
    end if;
    if exists (select 1 from pg_index i where i.indrelid = rel and i.indisunique
                and not (col = any(i.indkey))) then
        raise exception 'a unique index of % lacks %', rel, distribution_column;
    end if;
    if colocate_with <> 'default' then
        select p.colocation into group_anchor from citus_emulator.placed p
         where p.rel = colocate_with::regclass and p.kind = 'distributed';
        if group_anchor is null then
            raise exception '% cannot colocate with %, not distributed yet', rel, colocate_with;
        end if;
    end if;
    for fk in select c.confrelid::regclass as ref, c.conkey, c.confkey from pg_constraint c
               where c.conrelid = rel and c.contype = 'f' and c.confrelid <> rel loop
        select * into target from citus_emulator.placed p where p.rel = fk.ref;
        if target is null then
            raise exception '% references %, which is not distributed yet', rel, fk.ref;
        end if;
        if target.kind = 'distributed' then
            if target.colocation <> group_anchor then
                raise exception '% and % are not colocated', rel, fk.ref;
            end if;
            if not exists (
                select 1 from generate_subscripts(fk.conkey, 1) s
                 where fk.conkey[s] = col
                   and fk.confkey[s] = (select attnum from pg_attribute
                                         where attrelid = fk.ref
                                           and attname = target.column_name)
            ) then
                raise exception 'foreign key of % to % does not include the distribution column',
                    rel, fk.ref;
            end if;
        end if;
    end loop;
    insert into citus_emulator.placed values (rel, 'distributed', group_anchor, distribution_column);
end $$"""
