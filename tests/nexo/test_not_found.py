"""One "not found" rule across the whole schema (DESIGN section 5), checked field by field
from introspection so a new field cannot escape it:
- a query field taking an id answers `null` (or an empty list) for an unknown id and for
  another tenant's id, without an error;
- a mutation taking an id answers the payload error `NOT_FOUND` and writes nothing.
Another tenant's ids are real rows of the demo tenant, matched to each argument by name."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_list_type,
    is_non_null_type,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from nexo.seed import DEMO_SLUG, seed_demo
from shared.context import Runtime
from subgraphs.registry import SUBGRAPHS
from tests.conftest import GraphQLClient, TenantHandle, make_tenant

DOMAIN_SCHEMAS = tuple(spec.name for spec in SUBGRAPHS)
SKIPPED_MUTATIONS = {"signUp", "login", "refreshToken", "logout"}  # establish identity


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


async def _demo_ids(runtime: Runtime, owner_engine: AsyncEngine) -> dict[str, Iterator[uuid.UUID]]:
    """Ids of the demo tenant per table that has an `id` column, keyed by table name; each
    ask takes the next, so two id fields of one input name different rows."""
    await seed_demo(runtime, report=lambda _: None)
    ids: dict[str, Iterator[uuid.UUID]] = {}
    async with owner_engine.connect() as conn:
        tenant = await conn.scalar(
            text("select id from identity.tenant where slug = :s"), {"s": DEMO_SLUG}
        )
        tables = await conn.execute(
            text(
                "select c.table_schema, c.table_name from information_schema.columns c "
                "join information_schema.columns t on t.table_schema = c.table_schema "
                " and t.table_name = c.table_name and t.column_name = 'tenant_id' "
                "where c.column_name = 'id' and c.table_schema = any(:schemas)"
            ),
            {"schemas": list(DOMAIN_SCHEMAS)},
        )
        for schema, table in tables.all():
            found = (
                (
                    await conn.execute(
                        text(f'select id from "{schema}"."{table}" where tenant_id = :t limit 5'),
                        {"t": tenant},
                    )
                )
                .scalars()
                .all()
            )
            if found:
                ids[table] = itertools.cycle(found)
        ids["tenant"] = itertools.cycle([tenant])
    return ids


def _target(ids: dict[str, Iterator[uuid.UUID]], owner: str, argument: str) -> uuid.UUID:
    """The demo row an id argument names: `customerId` → customer, `salesOrder(id:)` →
    sales_order, `updateCustomer(input: {id})` → customer; any row when no name fits."""
    base = argument[:-2] if argument.endswith("Id") and argument != "id" else owner
    words = _snake(base).split("_")
    for start in range(len(words)):
        candidate = "_".join(words[start:])
        if candidate in ids:
            return next(ids[candidate])
    return next(next(iter(ids.values())))


def _dummy(type_: GraphQLInputType, name: str, make_id: Any) -> Any:
    if is_non_null_type(type_):
        return _dummy(type_.of_type, name, make_id)  # type: ignore[attr-defined]
    if is_list_type(type_):
        return [_dummy(type_.of_type, name, make_id)]  # type: ignore[attr-defined]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return _input(type_, make_id)
    assert isinstance(type_, GraphQLScalarType)
    lowered = name.lower()
    return {
        "ID": lambda: str(make_id(name)),
        "Int": lambda: 1,
        "Float": lambda: 1.0,
        "Boolean": lambda: False,
        "Decimal": lambda: "1",
        "Date": lambda: dt.date.today().isoformat(),
        "DateTime": lambda: dt.datetime.now(dt.UTC).isoformat(),
        "String": lambda: (
            "nf@example.com"
            if "email" in lowered
            else "EUR"
            if "currency" in lowered
            else "correct horse battery"
            if "password" in lowered
            else f"NF-{uuid.uuid4().hex[:6]}"
        ),
    }[type_.name]()


def _input(type_: GraphQLInputObjectType, make_id: Any) -> dict[str, Any]:
    """Required fields filled, and the ids under test: every required id field, or — when
    the input has none (a choice such as `receiptId | purchaseOrderId`) — the first
    optional one."""
    value = {}
    optional_ids = []
    for fname, field in type_.fields.items():
        takes_id = getattr(get_named_type(field.type), "name", None) == "ID"
        required = is_non_null_type(field.type) and field.default_value is Undefined
        if required:
            value[fname] = _dummy(field.type, fname, make_id)
        elif takes_id:
            optional_ids.append((fname, field))
    if optional_ids and not any(
        getattr(get_named_type(type_.fields[f].type), "name", None) == "ID" for f in value
    ):
        fname, field = optional_ids[0]
        value[fname] = _dummy(field.type, fname, make_id)
    return value


def _takes_id(type_: GraphQLInputType, depth: int = 0) -> bool:
    named = get_named_type(type_)
    if getattr(named, "name", None) == "ID":
        return True
    if isinstance(named, GraphQLInputObjectType) and depth < 3:
        return any(_takes_id(f.type, depth + 1) for f in named.fields.values())
    return False


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return " { __typename }" if isinstance(named, GraphQLObjectType) else ""


def _id_queries() -> Iterator[tuple[str, str, GraphQLField]]:
    for spec in SUBGRAPHS:
        gql = spec.build_schema()._schema
        assert gql.query_type is not None
        for name, field in gql.query_type.fields.items():
            if name.startswith("_"):
                continue
            if any(
                getattr(get_named_type(a.type), "name", None) == "ID" for a in field.args.values()
            ):
                yield spec.name, name, field


def _id_mutations() -> Iterator[tuple[str, str, GraphQLField]]:
    for spec in SUBGRAPHS:
        gql = spec.build_schema()._schema
        if gql.mutation_type is None:
            continue
        for name, field in gql.mutation_type.fields.items():
            if name in SKIPPED_MUTATIONS:
                continue
            if any(_takes_id(a.type) for a in field.args.values()):
                yield spec.name, name, field


def _call(name: str, field: GraphQLField, make_id: Any, selection: str) -> tuple[str, dict]:
    variables: dict[str, Any] = {}
    decls, args = [], []
    for aname, arg in field.args.items():
        named = get_named_type(arg.type)
        if not (
            is_non_null_type(arg.type)
            or getattr(named, "name", None) == "ID"
            or (isinstance(named, GraphQLInputObjectType) and _takes_id(arg.type))
        ):
            continue
        variables[aname] = _dummy(arg.type, aname, make_id)
        decls.append(f"${aname}: {arg.type}")
        args.append(f"{aname}: ${aname}")
    head = f"({', '.join(decls)})" if decls else ""
    call = f"({', '.join(args)})" if args else ""
    return f"{head} {{ {name}{call}{selection} }}", variables


@pytest.fixture(scope="module")
async def demo_ids(runtime: Runtime, owner_engine: AsyncEngine) -> dict[str, uuid.UUID]:
    return await _demo_ids(runtime, owner_engine)


@pytest.fixture(scope="module")
async def stranger(runtime: Runtime) -> TenantHandle:
    return await make_tenant(runtime, "Stranger")


async def _row_counts(owner_engine: AsyncEngine, tenants: list[uuid.UUID]) -> dict[str, int]:
    async with owner_engine.connect() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "select table_schema || '.' || table_name from information_schema.columns "
                        "where column_name = 'tenant_id' and table_schema = any(:s) order by 1"
                    ),
                    {"s": [*DOMAIN_SCHEMAS, "shared"]},
                )
            )
            .scalars()
            .all()
        )
        union = " union all ".join(
            f"select '{t}', count(*) from {t} where tenant_id = any(:t)" for t in tables
        )
        rows = await conn.execute(text(union), {"t": tenants})
        return dict(rows.all())


async def test_every_id_query_answers_null_for_unknown_and_foreign_ids(
    runtime: Runtime, demo_ids: dict[str, Iterator[uuid.UUID]], stranger: TenantHandle
) -> None:
    checked = []
    schemas = {spec.name: spec.build_schema() for spec in SUBGRAPHS}
    for subgraph, name, field in _id_queries():
        client = GraphQLClient(runtime, schemas[subgraph])
        for label, make_id in (
            ("unknown", lambda _arg: uuid.uuid4()),
            ("foreign", lambda arg, n=name: _target(demo_ids, n, arg)),
        ):
            query, variables = _call(name, field, make_id, _selection(field))
            r = await client("query " + query, variables, token=stranger.token)
            assert "errors" not in r, (name, label, r)
            value = r["data"][name]
            if isinstance(value, list):
                assert value == [], (name, label, value)
            elif isinstance(value, dict) and "edges" in value:
                assert value["edges"] == [], (name, label, value)
            elif not is_non_null_type(field.type):
                assert value is None, (name, label, value)
            checked.append(name)
    assert {"customer", "product", "salesOrder", "invoice", "user"} <= set(checked)


async def test_every_id_mutation_answers_not_found_and_writes_nothing(
    runtime: Runtime,
    owner_engine: AsyncEngine,
    demo_ids: dict[str, Iterator[uuid.UUID]],
    stranger: TenantHandle,
) -> None:
    schemas = {spec.name: spec.build_schema() for spec in SUBGRAPHS}
    tenants = [stranger.id, next(demo_ids["tenant"])]
    before = await _row_counts(owner_engine, tenants)
    checked, failures = [], []
    for subgraph, name, field in _id_mutations():
        client = GraphQLClient(runtime, schemas[subgraph])
        payload = get_named_type(field.type)
        assert isinstance(payload, GraphQLObjectType) and "errors" in payload.fields, name
        for label, make_id in (
            ("unknown", lambda _arg: uuid.uuid4()),
            ("foreign", lambda arg, n=name: _target(demo_ids, n, arg)),
        ):
            query, variables = _call(name, field, make_id, " { errors { field code } }")
            r = await client("mutation " + query, variables, token=stranger.token)
            codes = [e["code"] for e in ((r.get("data") or {}).get(name) or {}).get("errors", [])]
            if "errors" in r or "NOT_FOUND" not in codes:
                failures.append((name, label, variables, r))
            checked.append(name)
    assert failures == []
    assert await _row_counts(owner_engine, tenants) == before
    assert len(set(checked)) >= 20
