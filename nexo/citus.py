"""PostgreSQL distributed by tenant with Citus: the calls that distribute NEXO's tables.

Every tenant table has `tenant_id` leading its primary key, and every unique constraint
and foreign key includes it, so each can be distributed by `tenant_id` into one
colocation group: a tenant's rows for every domain live on the same node, and a
transaction of one tenant stays on one node. The few tables without `tenant_id`
(`shared.db.GLOBAL_TABLES`: read before a tenant is known) become reference tables,
copied to every node. Tables are listed referenced-first, the order Citus needs for
their foreign keys. `nexo citus plan` prints this; docs/scaling.md explains it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, Table

from shared.db import GLOBAL_TABLES

DISTRIBUTION_COLUMN = "tenant_id"


@dataclass(frozen=True, slots=True)
class CitusPlan:
    reference: tuple[str, ...]
    """Tables copied to every node, referenced-first."""
    distributed: tuple[str, ...]
    """Tables distributed by `tenant_id`, referenced-first; the first anchors the
    colocation group the others join."""


class NotDistributable(ValueError):
    """A table that Citus could not distribute by tenant (a key without `tenant_id`)."""


def _referenced_first(tables: list[Table]) -> list[Table]:
    """Tables ordered so each comes after those its foreign keys reference (by name
    among equals, so the plan is stable)."""
    by_name = {t.fullname: t for t in tables}
    done: list[Table] = []
    seen: set[str] = set()

    def visit(table: Table, path: tuple[str, ...]) -> None:
        if table.fullname in seen:
            return
        if table.fullname in path:
            raise NotDistributable(f"foreign-key cycle through {' -> '.join(path)}")
        for name in sorted({fk.referred_table.fullname for fk in table.foreign_key_constraints}):
            if name in by_name and name != table.fullname:
                visit(by_name[name], (*path, table.fullname))
        seen.add(table.fullname)
        done.append(table)

    for table in sorted(tables, key=lambda t: t.fullname):
        visit(table, ())
    return done


def problems(table: Table) -> list[str]:
    """Why `table` (a tenant table) could not be distributed by `tenant_id`."""
    found: list[str] = []
    primary = [c.name for c in table.primary_key.columns]
    if primary[:1] != [DISTRIBUTION_COLUMN]:
        found.append(f"{table.fullname}: primary key {primary} not led by {DISTRIBUTION_COLUMN}")
    for constraint in table.constraints:
        columns = [c.name for c in getattr(constraint, "columns", ())]
        kind = type(constraint).__name__
        if kind in {"UniqueConstraint", "ForeignKeyConstraint"} and (
            DISTRIBUTION_COLUMN not in columns
        ):
            found.append(f"{table.fullname}: {kind} {columns} lacks {DISTRIBUTION_COLUMN}")
    for index in table.indexes:
        columns = [c.name for c in index.columns]
        if index.unique and DISTRIBUTION_COLUMN not in columns:
            found.append(f"{table.fullname}: unique index {columns} lacks {DISTRIBUTION_COLUMN}")
    return found


def build_plan(metadata: MetaData) -> CitusPlan:
    tables = list(metadata.tables.values())
    reference = [t for t in tables if t.fullname in GLOBAL_TABLES]
    tenant = [t for t in tables if t.fullname not in GLOBAL_TABLES]
    found = [p for t in tenant for p in problems(t)]
    tenant_names = {t.fullname for t in tenant}
    for table in reference:
        for fk in table.foreign_key_constraints:
            if fk.referred_table.fullname in tenant_names:
                found.append(
                    f"{table.fullname}: a reference table cannot reference the distributed"
                    f" {fk.referred_table.fullname}"
                )
    if found:
        raise NotDistributable("; ".join(found))
    return CitusPlan(
        reference=tuple(t.fullname for t in _referenced_first(reference)),
        distributed=tuple(t.fullname for t in _referenced_first(tenant)),
    )


def statements(plan: CitusPlan) -> list[str]:
    """The SQL, one statement per table, in the order to run it."""
    sql = [f"SELECT create_reference_table('{name}');" for name in plan.reference]
    anchor = plan.distributed[0] if plan.distributed else None
    for name in plan.distributed:
        colocate = "" if name == anchor else f", colocate_with => '{anchor}'"
        sql.append(f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}'{colocate});")
    return sql


def _load_every_model() -> None:
    """Every domain's tables: the registered subgraphs' (`load_models`) and those of any
    domain package whose tables are migrated before it joins the registry."""
    import importlib
    import pkgutil

    import subgraphs
    from nexo.models import load_models

    load_models()
    for package in pkgutil.iter_modules(subgraphs.__path__):
        if package.ispkg and importlib.util.find_spec(f"subgraphs.{package.name}.models"):
            importlib.import_module(f"subgraphs.{package.name}.models")


def nexo_plan() -> CitusPlan:
    """The plan for NEXO's tables as the models declare them."""
    from shared.db import Base

    _load_every_model()
    return build_plan(Base.metadata)


def plan_sql() -> str:
    """What `nexo citus plan` prints: comments and the calls, ready for psql."""
    plan = nexo_plan()
    lines = [
        "-- NEXO on Citus, generated by `nexo citus plan` (docs/scaling.md).",
        "-- Run on the coordinator as the owner, after `nexo migrate` and",
        "-- `CREATE EXTENSION citus` and `citus_add_node(...)` for each worker.",
        "-- public.alembic_version stays a local table on the coordinator.",
        "BEGIN;",
        "-- Tables with foreign keys to reference tables: distribute them one shard at a time.",
        "SET LOCAL citus.multi_shard_modify_mode TO 'sequential';",
        f"-- {len(plan.reference)} tables without {DISTRIBUTION_COLUMN}:"
        " reference tables, a copy on every node.",
    ]
    sql = statements(plan)
    lines += sql[: len(plan.reference)]
    lines.append(
        f"-- {len(plan.distributed)} tenant tables: distributed by {DISTRIBUTION_COLUMN},"
        " one colocation group, referenced tables first."
    )
    lines += sql[len(plan.reference) :]
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"
