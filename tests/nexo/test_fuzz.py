"""Schema-driven fuzzing: Hypothesis draws arguments — input objects included — for every
root Query and Mutation field of every subgraph in the registry, from plausible values to
garbage (NUL bytes, unpaired surrogates, NaN, Infinity, 40-digit and over-precise
decimals, year-1 and year-9999 dates, long text, random UUIDs, unicode), sends them as
variables or inline literals with an admin token, and asserts that no answer carries
INTERNAL_SERVER_ERROR: bad input is the client's, so it must come back as BAD_USER_INPUT
or a payload error, never as our fault.

The tenant is fresh. A warm-up runs every `create*` mutation with plain valid input and
every argument-free query, twice; each subgraph's run first creates again (earlier runs
archived and cancelled). The ids answers carry (by `__typename`) feed id arguments by
name (`customerId` → a Customer), so the rules meet rows that exist. Each field gets
`NEXO_FUZZ_EXAMPLES` drawn examples (default 3; one for the argon2-bound `signUp`,
`login`, `refreshToken`, `logout`) plus the explicit examples of `GARBAGE` its arguments
can carry. Draws are derandomized so CI is repeatable; `NEXO_FUZZ_RANDOM=1` explores new
ground, `NEXO_FUZZ_EXAMPLES=200` goes deeper, `NEXO_FUZZ_TRACE=FILE` logs every call.
A subgraph added to `subgraphs/registry.py` is fuzzed without any change here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from shared.context import Runtime
from subgraphs.registry import SUBGRAPHS, SubgraphSpec
from tests.conftest import GraphQLClient, TenantHandle, make_tenant, token_for

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("NEXO_FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("NEXO_FUZZ_RANDOM", "") not in ("", "0")
IDENTITY_ESTABLISHING = {"signUp", "login", "refreshToken", "logout"}
"""Each hashes a password or a token (argon2): one drawn example only."""
SELECTION_DEPTH = 1
INPUT_DEPTH = 4

MAX_AMOUNT = "99999999999999.9999"
"""numeric(18,4)'s largest value."""

GARBAGE: dict[str, tuple[bool, dict[str, Any]]] = {
    # what the scalars refuse, as variables and as literals: never reaches a resolver
    "refused": (
        False,
        {
            "String": "nul\x00byte",
            "ID": "\udfff",
            "Decimal": "NaN",
            "Float": float("nan"),
            "Int": 2**31,
            "Date": "0001-01-01",
            "DateTime": "2026-11-26T09:30:00",
        },
    ),
    "refused_inline": (
        True,
        {
            "String": "nul\x00",
            "ID": "\x00",
            "Decimal": "9" * 40,
            "Date": "9999-12-31",
            "DateTime": "0001-01-01T00:00:00Z",
        },
    ),
    # what passes the scalars and meets the rules and the database
    "long_unicode": (
        False,
        {"String": "Zo\u00eb \U0001f680 \u05e2\u202e\ufffd " * 700, "ID": "\u00fc" * 1000},
    ),
    "largest": (
        True,
        {
            "Decimal": lambda name: "100" if "percent" in name.lower() else MAX_AMOUNT,
            "Int": 2**31 - 1,
            "Float": 1e308,
            "Date": "2999-12-31",
            "DateTime": "2999-12-31T23:59:59+00:00",
        },
    ),
    "smallest": (
        False,
        {
            "Decimal": lambda name: "0" if "percent" in name.lower() else "-" + MAX_AMOUNT,
            "Int": -(2**31),
            "Float": -1e308,
            "Date": "1900-01-01",
            "DateTime": "1900-01-01T00:00:00-12:00",
        },
    ),
    "finest": (False, {"Decimal": "0.000000000001", "Int": 0, "Float": 5e-324}),
}
"""Explicit examples for every field: (inline?, a value for each scalar it replaces, or a
function of the field's name giving it). Percentages stay valid where amounts go to the
limit, so the products and sums of the rules meet the limit too."""

_TEXT_GARBAGE = [
    "",
    "   ",
    "a\x00b",
    "\ud800",
    "x" * 3000,
    "%_\\",
    "'; drop table x; --",
    "\u202eevil",
    "\u03a9" * 300,
]
_DECIMAL_GARBAGE = [
    "NaN",
    "-Infinity",
    "1e400",
    "9" * 40,
    "0." + "1" * 39,
    MAX_AMOUNT,
    "1000000000000",
    "99999999999999.999999999999",
    "99999999999999.99999",
    "-0",
    "abc",
]
_DATE_GARBAGE = ["", "0001-01-01", "9999-12-31", "2026-02-30", "today"]
_DATETIME_GARBAGE = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "2026-11-26T09:30"]
_ID_GARBAGE = ["", "not-a-uuid", "\x00", "0" * 36, str(uuid.UUID(int=0)), "x" * 1000]
_USER_ALIASES = {"Owner", "Assignee", "Actor", "Salesperson", "DoneBy", "Approver", "Buyer"}


# --- ids -----------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"(?<=[a-z0-9])(?=[A-Z])", name) if w]


def candidates(owner: str, name: str) -> list[str]:
    """The `__typename`s an id argument may name, best first: `customerId` → Customer,
    `fromLocationId` → FromLocation, Location; `updateSalesOrder(input: {id})` →
    UpdateSalesOrder, SalesOrder, Order; `ownerId` → Owner, User."""
    base = re.sub(r"Ids?$", "", name) if name not in ("id", "ids") else owner
    words = [w[:1].upper() + w[1:] for w in _words(base)]
    found = ["".join(words[i:]) for i in range(len(words))]
    if _USER_ALIASES & set(found):
        found.append("User")
    return found


@dataclasses.dataclass
class IdPool:
    """Ids seen in answers by `__typename`; never the admin's own (a fuzzed role change
    or deactivation would end the run's access)."""

    excluded: set[str]
    by_type: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def collect(self, data: Any) -> None:
        if isinstance(data, dict):
            ident, typename = data.get("id"), data.get("__typename")
            if isinstance(ident, str) and isinstance(typename, str):
                ids = self.by_type.setdefault(typename, [])
                if ident not in self.excluded and ident not in ids:
                    ids.append(ident)
                    del ids[:-50]
            for value in data.values():
                self.collect(value)
        elif isinstance(data, list):
            for item in data:
                self.collect(item)

    def has(self, owner: str, name: str) -> bool:
        return any(self.by_type.get(t) for t in candidates(owner, name))

    def target(self, owner: str, name: str, index: int) -> str:
        for typename in candidates(owner, name):
            ids = self.by_type.get(typename)
            if ids:
                return ids[index % len(ids)]
        every = [i for ids in self.by_type.values() for i in ids]
        return every[index % len(every)] if every else str(uuid.uuid4())


# --- drawn values --------------------------------------------------------------------


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _string(name: str) -> st.SearchStrategy[Any]:
    lowered = name.lower()
    if "email" in lowered:
        plausible: st.SearchStrategy[Any] = st.emails()
    elif "currency" in lowered:
        plausible = st.sampled_from(["EUR", "USD", "GBP", "eur", "XXX", "EURO"])
    elif "password" in lowered:
        plausible = st.sampled_from(["correct horse battery", "short", "p" * 2000])
    else:
        plausible = st.text(max_size=40)
    return st.one_of(plausible, plausible, st.sampled_from(_TEXT_GARBAGE))


def _scalar(
    type_: GraphQLScalarType, owner: str, name: str, pool: IdPool
) -> st.SearchStrategy[Any]:
    kind = type_.name
    if kind == "String":
        return _string(name)
    if kind == "ID":
        targeted = st.builds(pool.target, st.just(owner), st.just(name), st.integers(0, 99))
        return st.one_of(targeted, targeted, st.uuids().map(str), st.sampled_from(_ID_GARBAGE))
    if kind == "Int":
        return st.one_of(
            st.integers(min_value=-5, max_value=100),
            st.sampled_from([2**31 - 1, -(2**31), 2**31]),
        )
    if kind == "Float":
        return st.floats()
    if kind == "Boolean":
        return st.booleans()
    if kind == "Decimal":
        return st.one_of(
            st.decimals(min_value=0, max_value=10000, places=2).map(str),
            st.decimals(allow_nan=True, allow_infinity=True).map(str),
            st.integers(min_value=-10, max_value=1000),
            st.floats(),
            st.sampled_from(_DECIMAL_GARBAGE),
        )
    if kind == "Date":
        return st.one_of(
            st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(_iso),
            st.dates().map(_iso),
            st.sampled_from(_DATE_GARBAGE),
        )
    if kind == "DateTime":
        return st.one_of(
            st.datetimes(
                dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31), timezones=st.just(dt.UTC)
            ).map(_iso),
            st.datetimes(timezones=st.none() | st.just(dt.UTC)).map(_iso),
            st.sampled_from(_DATETIME_GARBAGE),
        )
    return st.one_of(  # JSON and any scalar a domain adds later
        st.none(),
        st.text(max_size=10),
        st.integers(),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    )


def values(
    type_: GraphQLInputType, owner: str, name: str, pool: IdPool, depth: int = 0
) -> st.SearchStrategy[Any]:
    """Values for an argument or input field of `type_` (`owner`: the root field)."""
    if isinstance(type_, GraphQLNonNull):
        return _non_null(type_.of_type, owner, name, pool, depth)
    return st.one_of(st.none(), _non_null(type_, owner, name, pool, depth))


def _non_null(
    type_: GraphQLInputType, owner: str, name: str, pool: IdPool, depth: int
) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLList):
        return st.lists(values(type_.of_type, owner, name, pool, depth + 1), max_size=3)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = type_.fields
        if type_.is_one_of:
            return st.sampled_from(sorted(fields)).flatmap(
                lambda n: st.fixed_dictionaries(
                    {n: _non_null(fields[n].type, owner, n, pool, depth + 1)}
                )
            )
        required = {
            n: values(f.type, owner, n, pool, depth + 1)
            for n, f in fields.items()
            if is_non_null_type(f.type) and f.default_value is Undefined
        }
        optional = {
            n: values(f.type, owner, n, pool, depth + 1)
            for n, f in fields.items()
            if n not in required and depth < INPUT_DEPTH
        }
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(type_, GraphQLScalarType), type_
    return _scalar(type_, owner, name, pool)


# --- plain values and the explicit garbage ------------------------------------------


PLAIN_TEXT = {"roles": "sales", "role": "sales", "permissions": "crm:read"}
"""Plain text that must name something that exists."""


def plain(type_: GraphQLInputType, owner: str, name: str, pool: IdPool, depth: int = 0) -> Any:
    """A deterministic, valid-looking value: required parts, plus leaf fields near the top
    (unique-ish text, so repeated creates do not collide; optional ids only where the pool
    has a row of the type they name)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [plain(type_.of_type, owner, name, pool, depth + 1)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        if type_.is_one_of:
            first = next(iter(type_.fields))
            return {first: plain(type_.fields[first].type, owner, first, pool, depth + 1)}
        chosen = {}
        for n, f in type_.fields.items():
            named = get_named_type(f.type)
            required = is_non_null_type(f.type) and f.default_value is Undefined
            if getattr(named, "name", None) == "ID" and not required:
                if pool.has(owner, n):
                    chosen[n] = plain(f.type, owner, n, pool, depth + 1)
            elif required or (depth < 2 and is_leaf_type(named)):
                chosen[n] = plain(f.type, owner, n, pool, depth + 1)
        return chosen
    assert isinstance(type_, GraphQLScalarType)
    lowered, tag = name.lower(), uuid.uuid4().hex[:8]
    text = (
        PLAIN_TEXT.get(name)
        or (f"fuzz-{tag}@example.com" if "email" in lowered else None)
        or ("EUR" if "currency" in lowered else None)
        or ("correct horse battery" if "password" in lowered else None)
        or f"FZ-{tag}"
    )
    return {
        "String": text,
        "ID": pool.target(owner, name, -1),  # the newest: least likely archived by now
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "Decimal": "1",
        "Date": dt.date.today().isoformat(),
        "DateTime": dt.datetime.now(dt.UTC).isoformat(),
    }.get(type_.name)


def plain_args(name: str, gql_field: GraphQLField, pool: IdPool) -> dict[str, Any]:
    args = {}
    for a, arg in gql_field.args.items():
        named = get_named_type(arg.type)
        required = is_non_null_type(arg.type) and arg.default_value is Undefined
        if (
            required
            or isinstance(named, GraphQLInputObjectType)
            or (getattr(named, "name", None) == "ID" and pool.has(name, a))
        ):
            args[a] = plain(arg.type, name, a, pool)
    return args


def _kinds(type_: GraphQLInputType, depth: int = 0) -> set[str]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        if depth > INPUT_DEPTH:
            return set()
        return set().union(*(_kinds(f.type, depth + 1) for f in named.fields.values()))
    return {named.name} if isinstance(named, GraphQLScalarType) else set()


def _replace(value: Any, type_: GraphQLInputType, name: str, garbage: dict[str, Any]) -> Any:
    if value is None:
        return None
    if isinstance(type_, GraphQLNonNull):
        return _replace(value, type_.of_type, name, garbage)
    if isinstance(type_, GraphQLList):
        return [_replace(v, type_.of_type, name, garbage) for v in value]
    if isinstance(type_, GraphQLInputObjectType):
        return {k: _replace(v, type_.fields[k].type, k, garbage) for k, v in value.items()}
    if isinstance(type_, GraphQLScalarType) and type_.name in garbage:
        replacement = garbage[type_.name]
        return replacement(name) if callable(replacement) else replacement
    return value


def garbage_examples(
    name: str, gql_field: GraphQLField, pool: IdPool
) -> Iterator[tuple[dict[str, Any], bool]]:
    base = plain_args(name, gql_field, pool)
    kinds = set().union(*(_kinds(a.type) for a in gql_field.args.values()))
    for inline, garbage in GARBAGE.values():
        if kinds & set(garbage):
            yield (
                {a: _replace(v, gql_field.args[a].type, a, garbage) for a, v in base.items()},
                inline,
            )


# --- documents -----------------------------------------------------------------------


def selection(type_: GraphQLOutputType, depth: int = 0) -> str:
    """Every argument-free field to `SELECTION_DEPTH`, `id` and `__typename` included
    (they feed the pool)."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType)
    parts = ["__typename"]
    for name, f in named.fields.items():
        if any(is_non_null_type(a.type) and a.default_value is Undefined for a in f.args.values()):
            continue
        if is_leaf_type(get_named_type(f.type)):
            parts.append(name)
        elif depth < SELECTION_DEPTH or (name in ("edges", "node") and depth <= SELECTION_DEPTH):
            parts.append(f"{name} {selection(f.type, depth if name == 'edges' else depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` as a GraphQL literal of `type_` (garbage stays garbage)."""
    if value is None:
        return "null"
    if isinstance(type_, GraphQLNonNull):
        return literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        return "[" + ", ".join(literal(v, type_.of_type) for v in items) + "]"
    if isinstance(type_, GraphQLInputObjectType):
        inner = ", ".join(f"{k}: {literal(v, type_.fields[k].type)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return "NaN"  # no such literal: a validation error
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)  # JSON's escapes are GraphQL's; a surrogate stays an escape


def document(
    operation: str, name: str, gql_field: GraphQLField, args: dict[str, Any], inline: bool
) -> tuple[str, dict[str, Any]]:
    sel = selection(gql_field.type)
    if inline:
        call = ", ".join(f"{a}: {literal(v, gql_field.args[a].type)}" for a, v in args.items())
        return f"{operation} Fuzz {{ {name}{f'({call})' if call else ''} {sel} }}", {}
    decls = ", ".join(f"${a}: {gql_field.args[a].type}" for a in args)
    call = ", ".join(f"{a}: ${a}" for a in args)
    head = f"({decls})" if decls else ""
    return f"{operation} Fuzz{head} {{ {name}{f'({call})' if call else ''} {sel} }}", args


def root_fields(schema: Any) -> Iterator[tuple[str, str, GraphQLField]]:
    gql = schema._schema
    for operation, root in (("query", gql.query_type), ("mutation", gql.mutation_type)):
        if root is None:
            continue
        for name, gql_field in root.fields.items():
            if not name.startswith("_"):  # _service, _entities: the router's, not a client's
                yield operation, name, gql_field


def trace(query: str, variables: dict[str, Any], answer: dict[str, Any]) -> None:
    """With `NEXO_FUZZ_TRACE=FILE`, every call and its answer, one line each."""
    if os.environ.get("NEXO_FUZZ_TRACE"):
        with open(os.environ["NEXO_FUZZ_TRACE"], "a") as out:
            out.write(repr((query[:400], repr(variables)[:400], json.dumps(answer)[:800])) + "\n")


def internal_errors(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in answer.get("errors") or []
        if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


# --- running -------------------------------------------------------------------------


@dataclasses.dataclass
class Fuzzing:
    """The run's tenant, its admin's token and the ids seen; the codes answered."""

    runtime: Runtime
    tenant: TenantHandle
    pool: IdPool
    token: str
    codes: dict[str, int] = dataclasses.field(default_factory=dict)

    async def call(
        self, client: GraphQLClient, query: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        answer = await client(query, variables, token=self.token)
        trace(query, variables, answer)
        codes = {(e.get("extensions") or {}).get("code") for e in answer.get("errors") or []}
        for code in codes or {"OK"}:
            self.codes[str(code)] = self.codes.get(str(code), 0) + 1
        if "UNAUTHENTICATED" in codes:  # a fuzzed logout or revocation: a new admin
            self.token = await token_for(self.runtime, self.tenant, "admin")
        else:
            self.pool.collect(answer.get("data"))
        return answer


async def create_plainly(fuzzing: Fuzzing, clients: list[GraphQLClient]) -> None:
    """One plain `create*` of every subgraph, in dependency order so references find rows."""
    for client in clients:
        for operation, name, gql_field in root_fields(client.schema):
            if operation == "mutation" and name.startswith("create"):
                args = plain_args(name, gql_field, fuzzing.pool)
                await fuzzing.call(client, *document(operation, name, gql_field, args, False))


async def warm_up(fuzzing: Fuzzing, clients: list[GraphQLClient]) -> None:
    """Twice: the plain creates, then every query that needs no argument. The pool then
    holds ids of real rows of most types."""
    for _ in range(2):
        await create_plainly(fuzzing, clients)
        for client in clients:
            for operation, name, gql_field in root_fields(client.schema):
                needs = any(
                    is_non_null_type(a.type) and a.default_value is Undefined
                    for a in gql_field.args.values()
                )
                if operation == "query" and not needs:
                    await fuzzing.call(client, *document(operation, name, gql_field, {}, False))


def fuzz_field(
    run: Callable[[str, dict[str, Any]], dict[str, Any]],
    pool: IdPool,
    operation: str,
    name: str,
    gql_field: GraphQLField,
) -> str | None:
    """Hypothesis on one root field: the falsifying example's report, or None."""
    args = st.fixed_dictionaries(
        {
            a: values(arg.type, name, a, pool)
            for a, arg in gql_field.args.items()
            if is_non_null_type(arg.type) and arg.default_value is Undefined
        },
        optional={
            a: values(arg.type, name, a, pool)
            for a, arg in gql_field.args.items()
            if not (is_non_null_type(arg.type) and arg.default_value is Undefined)
        },
    )

    def check(args: dict[str, Any], inline: bool) -> None:
        query, variables = document(operation, name, gql_field, args, inline)
        found = internal_errors(run(query, variables))
        assert not found, f"{name}: {query!r} variables={variables!r} → {found}"

    test: Callable[..., None] = given(args=args, inline=st.booleans())(check)
    for garbage_args, inline in garbage_examples(name, gql_field, pool):
        test = example(args=garbage_args, inline=inline)(test)
    test = settings(
        max_examples=1 if name in IDENTITY_ESTABLISHING else EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        print_blob=False,
    )(test)
    try:
        test()
    except AssertionError as exc:
        return str(exc).splitlines()[0][:4000]
    return None


@pytest.fixture(scope="module")
async def fuzzing(runtime: Runtime) -> Fuzzing:
    if "rate_limit" in {f.name for f in dataclasses.fields(runtime.settings)}:
        # the fuzz is about input; a rate-limited admin would stop exploring
        unlimited = dataclasses.replace(runtime.settings, rate_limit=None)  # type: ignore[call-arg]
        runtime = dataclasses.replace(runtime, settings=unlimited)
    tenant = await make_tenant(runtime, "Fuzz")
    state = Fuzzing(runtime, tenant, IdPool(excluded={str(tenant.admin_id)}), tenant.token)
    await warm_up(state, clients(runtime))
    return state


def clients(runtime: Runtime) -> list[GraphQLClient]:
    return [GraphQLClient(runtime, spec.build_schema()) for spec in SUBGRAPHS]


@pytest.mark.parametrize("spec", SUBGRAPHS, ids=[s.name for s in SUBGRAPHS])
async def test_no_input_makes_an_internal_error(fuzzing: Fuzzing, spec: SubgraphSpec) -> None:
    # fresh rows first: earlier fields archived, cancelled or deactivated many of the old
    await create_plainly(fuzzing, clients(fuzzing.runtime))
    client = GraphQLClient(fuzzing.runtime, spec.build_schema())
    loop = asyncio.get_running_loop()
    calls = 0

    def run(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """From Hypothesis's thread, a call on the test's event loop."""
        nonlocal calls
        calls += 1
        call = fuzzing.call(client, query, variables)
        answer: dict[str, Any] = asyncio.run_coroutine_threadsafe(call, loop).result(120)
        return answer

    def run_all() -> list[str]:
        reports = (
            fuzz_field(run, fuzzing.pool, operation, name, gql_field)
            for operation, name, gql_field in root_fields(client.schema)
        )
        return [r for r in reports if r is not None]

    failures = await asyncio.to_thread(run_all)
    print(f"{spec.name}: {calls} calls; answers so far by code: {fuzzing.codes}")
    assert calls > 0
    assert failures == [], "\n".join(failures)
