"""The access matrix, generated from the schemas: every built-in role against every field
of `User` wherever it is reached, every root query field of every subgraph, and every
field every subgraph resolves on an entity (`_entities`, the way the router reaches
another subgraph's types). No role reads a field its permissions do not grant.

The permission a field needs is not written here: a token whose role grants nothing is
refused with FORBIDDEN naming it (`extensions.permission`), and each role must then be
refused exactly when it lacks that permission. A field the empty role can read must be
in `PUBLIC`, with the reason, so a new unguarded field fails this test.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from shared.context import Runtime
from subgraphs.identity import api as identity
from subgraphs.registry import SUBGRAPHS
from tests.conftest import GraphQLClient, TenantHandle, token_for

NOTHING = "grants-nothing"

USER_PUBLIC = {"id", "name", "tenant"}
"""What any member of the tenant sees of a colleague (README, "Access")."""

PUBLIC: dict[tuple[str, str, str], str] = {
    ("identity", "Query", "me"): "one's own record",
    ("identity", "User", "name"): "colleagues are named on documents",
    ("identity", "User", "tenant"): "one's own tenant",
    ("identity", "Tenant", "name"): "one's own tenant",
    ("identity", "Tenant", "slug"): "one's own tenant",
    ("identity", "Tenant", "baseCurrency"): "one's own tenant",
    ("identity", "Tenant", "createdAt"): "one's own tenant",
    ("identity", "Tenant", "address"): "one's own tenant: printed on its documents",
    ("identity", "Tenant", "taxId"): "one's own tenant: printed on its documents",
    ("notifications", "Query", "notifications"): "one's own notifications",
    ("notifications", "Query", "notification"): "one's own notifications",
    ("notifications", "Query", "unreadCount"): "one's own notifications",
    ("notifications", "Query", "notificationPreferences"): "one's own preferences",
}


@dataclass
class Probe:
    subgraph: str
    type: str
    field: str
    query: str
    variables: dict[str, Any]


def _dummy(t: Any) -> Any:
    if isinstance(t, GraphQLNonNull):
        return _dummy(t.of_type)
    if isinstance(t, GraphQLList):
        return [_dummy(t.of_type)]
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        return {
            name: _dummy(f.type)
            for name, f in t.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    assert isinstance(t, GraphQLScalarType)
    return {
        "ID": str(uuid.uuid4()),
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Date": "2026-01-01",
        "DateTime": "2026-01-01T00:00:00+00:00",
        "Decimal": "1",
    }.get(t.name, "x")


def _selection(t: Any) -> str:
    return "" if is_leaf_type(get_named_type(t)) else "{ __typename }"


def _value(result: dict[str, Any], probe: Probe, field: str) -> Any:
    data = result.get("data") or {}
    if probe.type == "Query":
        return data.get(field)
    entities = data.get("_entities") or [None]
    return (entities[0] or {}).get(field)


def _args(field: Any) -> tuple[str, str, dict[str, Any]]:
    """(variable definitions, argument list, values) for the field's required args."""
    required = {n: a for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
    if not required:
        return "", "", {}
    defs = ", ".join(f"${n}: {a.type}" for n, a in required.items())
    args = ", ".join(f"{n}: ${n}" for n in required)
    return f"({defs})", f"({args})", {n: _dummy(a.type) for n, a in required.items()}


def _schema(spec: Any) -> GraphQLSchema:
    return spec.build_schema()._schema  # type: ignore[no-any-return]


def root_probes() -> list[Probe]:
    probes = []
    for spec in SUBGRAPHS:
        schema = _schema(spec)
        assert schema.query_type is not None
        for name, field in schema.query_type.fields.items():
            if name.startswith("_"):
                continue
            defs, args, values = _args(field)
            query = f"query{defs} {{ {name}{args} {_selection(field.type)} }}"
            probes.append(Probe(spec.name, "Query", name, query, values))
    return probes


def entity_probes() -> list[Probe]:
    """One probe per entity type of each subgraph, selecting every field (each field's
    FORBIDDEN errors are told apart by their path)."""
    probes = []
    for spec in SUBGRAPHS:
        schema = _schema(spec)
        entity = schema.type_map.get("_Entity")
        if not isinstance(entity, GraphQLUnionType):
            continue
        for t in entity.types:
            defs, selections, values = [], [], {}
            for name, field in t.fields.items():
                if name == "id":
                    continue
                d, args, v = _args(field)
                defs += [x.strip() for x in d[1:-1].split(",") if x.strip()]
                values.update(v)
                selections.append(f"{name}{args} {_selection(field.type)}")
            if not selections:
                continue
            query = (
                f"query($r: [_Any!]!{''.join(', ' + d for d in defs)}) {{ _entities"
                f"(representations: $r) {{ ... on {t.name} {{ {' '.join(selections)} }} }} }}"
            )
            probes.append(Probe(spec.name, t.name, "*", query, values))
    return probes


@dataclass
class World:
    tokens: dict[str, str]
    permissions: dict[str, frozenset[str]]
    ids: dict[str, str]
    clients: dict[str, GraphQLClient]


@pytest.fixture(scope="module")
async def world(runtime: Runtime) -> World:
    from tests.conftest import make_tenant

    tenant: TenantHandle = await make_tenant(runtime, "Access Matrix")
    async with runtime.db.transaction(tenant.id) as session:
        await identity.create_role(session, tenant.id, name=NOTHING, permissions=[])
    roles = [*identity.BUILTIN_ROLES, NOTHING]
    tokens = {role: await token_for(runtime, tenant, role) for role in roles}
    permissions = {
        role: frozenset((await runtime.verifier.verify(token)).permissions)
        for role, token in tokens.items()
    }
    clients = {spec.name: GraphQLClient(runtime, spec.build_schema()) for spec in SUBGRAPHS}
    return World(
        tokens, permissions, {"User": str(tenant.admin_id), "Tenant": str(tenant.id)}, clients
    )


def _forbidden(result: dict[str, Any], field: str | None = None) -> set[str]:
    """The permissions FORBIDDEN errors name; with `field`, only those of an entity probe
    that concern it (refused at the entity or at the field)."""
    return {
        str(e.get("extensions", {}).get("permission"))
        for e in result.get("errors", [])
        if e.get("extensions", {}).get("code") == "FORBIDDEN"
        and (field is None or _concerns(e.get("path") or [], field))
    }


def _concerns(path: list[Any], field: str) -> bool:
    return path[:2] == ["_entities", 0] and (len(path) == 2 or path[2] == field)


async def _ask(world: World, probe: Probe, role: str) -> dict[str, Any]:
    variables = dict(probe.variables)
    if probe.type != "Query":
        variables["r"] = [
            {"__typename": probe.type, "id": world.ids.get(probe.type, str(uuid.uuid4()))}
        ]
    return await world.clients[probe.subgraph](probe.query, variables, token=world.tokens[role])


def _other_errors(result: dict[str, Any]) -> list[Any]:
    return [
        e for e in result.get("errors", []) if e.get("extensions", {}).get("code") != "FORBIDDEN"
    ]


ROOTS = root_probes()
ENTITIES = entity_probes()


def _check(
    world: World, probe: Probe, field: str, empty: dict[str, Any], results: dict[str, Any]
) -> None:
    scoped = None if probe.type == "Query" else field
    needed = _forbidden(empty, scoped)
    key = (probe.subgraph, probe.type, field)
    if not needed:
        assert key in PUBLIC or _value(empty, probe, field) is None, (
            f"{key} is readable without any permission: guard it or declare it in PUBLIC"
        )
        return
    assert len(needed) == 1, (key, needed)
    permission = needed.pop()
    for role, result in results.items():
        refused = _forbidden(result, scoped)
        if permission in world.permissions[role]:
            assert permission not in refused, (role, key, result)
        else:
            assert refused == {permission}, (role, key, result)


async def _round(world: World, probe: Probe) -> tuple[dict[str, Any], dict[str, Any]]:
    empty = await _ask(world, probe, NOTHING)
    assert _other_errors(empty) == [], empty
    roles = list(identity.BUILTIN_ROLES)
    answers = await asyncio.gather(*(_ask(world, probe, role) for role in roles))
    return empty, dict(zip(roles, answers, strict=True))


@pytest.mark.parametrize("probe", ROOTS, ids=lambda p: f"{p.subgraph}.{p.field}")
async def test_no_role_reads_a_root_field_its_permissions_do_not_grant(
    world: World, probe: Probe
) -> None:
    empty, results = await _round(world, probe)
    _check(world, probe, probe.field, empty, results)


@pytest.mark.parametrize("probe", ENTITIES, ids=lambda p: f"{p.subgraph}.{p.type}")
async def test_no_role_reads_an_entity_field_its_permissions_do_not_grant(
    world: World, probe: Probe
) -> None:
    """Every field the subgraph resolves on the entity, reached as the router does."""
    empty, results = await _round(world, probe)
    schema = _schema(next(s for s in SUBGRAPHS if s.name == probe.subgraph))
    entity_type = schema.type_map[probe.type]
    assert isinstance(entity_type, GraphQLObjectType)
    for field in entity_type.fields:
        if field != "id":
            _check(world, probe, field, empty, results)


@pytest.mark.parametrize(
    "field", sorted(f for f in _schema(SUBGRAPHS[0]).type_map["User"].fields if f != "id")
)
async def test_every_user_field_for_every_role(world: World, field: str) -> None:
    """A colleague's `User`, as other subgraphs reach it (`customers.owner`,
    `deals.history.changedBy`, `salesOrders.salesperson`: `_entities` on identity)."""
    user = _schema(SUBGRAPHS[0]).type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        f"{{ ... on User {{ {field} {_selection(user.fields[field].type)} }} }} }}"
    )
    for role in [*identity.BUILTIN_ROLES, NOTHING]:
        result = await world.clients["identity"](
            query,
            {"r": [{"__typename": "User", "id": world.ids["User"]}]},
            token=world.tokens[role],
        )
        allowed = field in USER_PUBLIC or "identity:read" in world.permissions[role]
        if allowed:
            assert "errors" not in result, (role, result)
            assert result["data"]["_entities"][0][field] is not None
        else:
            assert _forbidden(result) == {"identity:read"}, (role, result)
        # Their own record: every field, whatever the role.
        me = await world.clients["identity"](
            f"{{ me {{ {field} {_selection(user.fields[field].type)} }} }}",
            token=world.tokens[role],
        )
        assert "errors" not in me, (role, me)
