"""Operation limits: the security review's documents are refused before any subgraph is
called, NEXO-shaped queries pass under the defaults, and each refusal says which limit."""

from __future__ import annotations

import dataclasses
import time
import traceback
from typing import Any

import httpx
import pytest
import shop_testgraphs as shop
from graphql import get_introspection_query, parse

from router.app import create_router_app
from router.gateway import Router
from router.limits import (
    LimitExceeded,
    OperationLimits,
    _ShapeWalk,
    check_document,
    estimate_cost,
)
from router.settings import RouterSettings
from router.supergraph import Supergraph, load_supergraph

DEFAULTS = OperationLimits()


@pytest.fixture(scope="module")
def shop_sdl() -> str:
    return shop.supergraph()


@pytest.fixture(scope="module")
def shop_graph(shop_sdl: str) -> Supergraph:
    return load_supergraph(shop_sdl)


def shop_router(sg: Supergraph, limits: OperationLimits = DEFAULTS) -> tuple[Router, list[str]]:
    calls: list[str] = []
    return Router(sg, shop.counting_transports(calls), limits=limits), calls


def without(*names: str, base: OperationLimits = DEFAULTS) -> OperationLimits:
    return dataclasses.replace(base, **dict.fromkeys(names))


async def refusal(router: Router, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = await router.execute(query, variables)
    [error] = result.body["errors"]
    assert "data" not in result.body
    assert result.request_error
    assert error["extensions"]["code"] == "OPERATION_TOO_COMPLEX"
    assert result.refused == error["extensions"]["limit"]
    return error


def depth_of(sg: Supergraph, query: str) -> int:
    doc = parse(query)
    op = doc.definitions[0]
    walk = _ShapeWalk(sg.api_schema, {})
    return walk.selections(op.selection_set.selections, sg.api_schema.query_type, False).depth  # type: ignore[attr-defined]


# -- what must pass ----------------------------------------------------------------


async def test_the_headline_query_passes_the_default_limits(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph)
    result = await router.execute(shop.HEADLINE)
    assert "errors" not in result.body
    customers = result.body["data"]["customers"]["edges"]
    assert len(customers) == 5
    order = customers[0]["node"]["orders"]["edges"][0]["node"]
    assert order["lines"][0]["product"]["stock"] == {"available": 5, "onHand": 7}
    production = result.body["data"]["productionOrders"]["edges"]
    assert len(production) == 5
    assert production[0]["node"]["components"][0]["product"]["stock"] == {"available": 5}
    assert sorted(set(calls)) == ["crm", "sales", "stock"]
    # Relay's edges/node are no levels: customers orders lines product stock available.
    assert depth_of(shop_graph, shop.HEADLINE) == 6
    doc = parse(shop.HEADLINE)
    cost = estimate_cost(shop_graph.api_schema, doc, doc.definitions[0], {}, DEFAULTS)  # type: ignore[arg-type]
    # 5 customers, 15 orders, 300 lines (20 assumed each), 5 production orders,
    # 100 components, and the two root fields.
    assert cost == 5 + 15 + 300 + 5 + 100 + 2


async def test_nexo_sized_pages_pass(shop_graph: Supergraph) -> None:
    # The shape of NEXO's statement-count test (sales/test_graph.py), at its 50 customers.
    query = """query($first: Int!) { customers(first: $first) { edges { node {
      name orders(first: 3) { totalCount edges { node { number
        lines { quantity product { sku stock { available } } } } } } } } } }"""
    router, _ = shop_router(shop_graph)
    result = await router.execute(query, {"first": 50})
    assert "errors" not in result.body
    assert len(result.body["data"]["customers"]["edges"]) == 50


async def test_graphiqls_introspection_query_passes(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph)
    result = await router.execute(get_introspection_query())
    assert "errors" not in result.body
    assert result.body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert calls == []


# -- the security review's documents --------------------------------------------------


@pytest.mark.parametrize("levels", [15, 20])
async def test_nested_lists_of_two_are_refused_before_any_subgraph_call(
    shop_graph: Supergraph, levels: int
) -> None:
    router, calls = shop_router(shop_graph)
    query = shop.nested_orders(levels, 2)
    error = await refusal(router, query)
    assert error["extensions"]["limit"] == "depth"
    # Without a depth limit, the cost estimate refuses it: 2 ** levels orders.
    router, calls = shop_router(shop_graph, without("depth"))
    error = await refusal(router, query)
    assert error["extensions"]["limit"] == "cost"
    assert error["extensions"]["value"] >= 2**levels
    assert error["extensions"]["max"] == 5000
    assert calls == []


async def test_nested_contacts_are_refused(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph, without("depth"))
    error = await refusal(router, shop.nested_contacts(8))
    assert error["extensions"]["limit"] == "cost"
    assert calls == []


async def test_the_fragment_bomb_is_refused_at_once(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph)
    started = time.perf_counter()
    error = await refusal(router, shop.fragment_bomb(30))
    assert time.perf_counter() - started < 1
    # Each fragment is counted once and multiplied where it is spread.
    assert error["extensions"] == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "aliases",
        "value": 2**30 - 1,
        "max": 15,
    }
    assert calls == []


async def test_without_limits_the_fragment_bomb_plans_each_fragment_once(
    shop_graph: Supergraph,
) -> None:
    router, calls = shop_router(shop_graph, OperationLimits.unlimited())
    started = time.perf_counter()
    result = await router.execute(shop.fragment_bomb(30))
    assert time.perf_counter() - started < 2
    [edge] = result.body["data"]["customers"]["edges"]
    assert sorted(edge["node"]) == sorted(["id", *(f"a{i}" for i in range(1, 31))])
    assert edge["node"]["a30"] == [{"id": "1-1"}, {"id": "1-2"}]
    assert calls == ["crm"]  # one fetch: the thirty aliases of one field
    assert result.plan is not None


async def test_alias_overloads_are_refused(shop_graph: Supergraph) -> None:
    sliced = " ".join(
        f"a{i}: products(first: 50) {{ edges {{ node {{ stockLevels {{ available }} }} }} }}"
        for i in range(500)
    )
    router, calls = shop_router(shop_graph, without("tokens", "document_bytes"))
    error = await refusal(router, "{ " + sliced + " }")
    assert error["extensions"]["limit"] == "aliases"
    assert error["extensions"]["value"] == 500
    router, _ = shop_router(shop_graph, without("tokens", "document_bytes", "aliases"))
    assert (await refusal(router, "{ " + sliced + " }"))["extensions"]["limit"] == "rootFields"
    many = " ".join(f"a{i}: customers(first: 1) {{ totalCount }}" for i in range(1000))
    router, _ = shop_router(shop_graph)
    # 1,000 aliases are more tokens than a document may have.
    assert (await refusal(router, "{ " + many + " }"))["extensions"]["limit"] == "tokens"
    assert calls == []


async def test_one_request_cannot_run_fifty_logins(shop_graph: Supergraph) -> None:
    logins = " ".join(f'a{i}: login(email: "a@b", password: "{i}")' for i in range(50))
    router, calls = shop_router(shop_graph, without("aliases"))
    error = await refusal(router, "mutation { " + logins + " }")
    assert error["extensions"] | {"value": 50} == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "mutationFields",
        "value": 50,
        "max": 5,
    }
    assert calls == []
    few = " ".join(f'a{i}: login(email: "a@b", password: "{i}")' for i in range(3))
    assert "errors" not in (await router.execute("mutation { " + few + " }")).body


async def test_huge_and_repetitive_documents_are_refused(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph)
    typenames = "{ " + "__typename " * 200_000 + "}"
    started = time.perf_counter()
    assert (await refusal(router, typenames))["extensions"]["limit"] == "documentBytes"
    assert time.perf_counter() - started < 0.5
    # Within the size and token limits, repeats of one field are refused before
    # validation, whose field-merging check compares them pairwise.
    router, _ = shop_router(shop_graph)
    error = await refusal(router, "{ " + "__typename " * 500 + "}")
    assert error["extensions"] == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "duplicateFields",
        "value": 500,
        "max": 20,
    }
    nested = "{ customers { edges { node { " + "contacts { id } " * 150 + "} } } }"
    error = await refusal(router, nested)
    assert error["extensions"]["limit"] == "duplicateFields"
    # Repeats through fragments count as well: each fragment is counted once.
    spreads = " ".join(f"...F{i}" for i in range(45))
    fragments = " ".join(
        f"fragment F{i} on Customer {{ contacts {{ name }} contacts {{ id }} }}" for i in range(45)
    )
    query = "{ customers { edges { node { " + spreads + " } } } } " + fragments
    error = await refusal(router, query)
    assert error["extensions"] | {"max": 20} == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "duplicateFields",
        "value": 90,
        "max": 20,
    }
    # Twenty fragments that each select `id` and `__typename` (Relay, Apollo Client) pass.
    colocated = " ".join(f"fragment C{i} on Customer {{ __typename id name }}" for i in range(19))
    spread = " ".join(f"...C{i}" for i in range(19))
    query = (
        "{ customers(first: 1) { edges { node { id __typename " + spread + " } } } } " + colocated
    )
    assert "errors" not in (await router.execute(query)).body
    commented = "{ __typename }" + "\n# padding" * 2000
    assert (await refusal(router, commented))["extensions"]["limit"] == "comments"
    assert calls == []


async def test_directive_overloading_is_one_error(shop_graph: Supergraph) -> None:
    router, _ = shop_router(shop_graph)
    error = await refusal(router, "query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }")
    assert error["extensions"]["limit"] == "directives"
    assert error["message"] == (
        "Operation too complex: directives on one element is 10, over the limit of 4."
    )
    fine = "query($a: Boolean!) { __typename @include(if: $a) @skip(if: false) }"
    assert (await router.execute(fine, {"a": True})).body == {"data": {"__typename": "Query"}}


async def test_circular_introspection_is_refused(shop_graph: Supergraph) -> None:
    router, _ = shop_router(shop_graph)
    cop = (
        "query { __schema { types { fields { type { fields { type { fields { type { fields"
        " { type { name } } } } } } } } } } }"
    )
    assert (await refusal(router, cop))["extensions"]["limit"] == "depth"
    shallow = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    error = await refusal(router, shallow)
    assert error["extensions"] | {"value": 4} == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "introspectionLists",
        "value": 4,
        "max": 3,
    }


async def test_planning_has_a_work_budget(shop_graph: Supergraph) -> None:
    router, calls = shop_router(shop_graph, dataclasses.replace(DEFAULTS, plan_work=30))
    error = await refusal(router, shop.HEADLINE)
    assert error["extensions"] == {
        "code": "OPERATION_TOO_COMPLEX",
        "limit": "planWork",
        "max": 30,
    }
    assert calls == []


async def test_a_cost_that_depends_on_variables(shop_graph: Supergraph) -> None:
    query = (
        "query($n: Int) { products(first: $n) { edges { node { stockLevels { available } } } } }"
    )
    router, calls = shop_router(shop_graph)
    # n products with 20 stock levels each assumed: 21 n + 1.
    assert "errors" not in (await router.execute(query, {"n": 200})).body
    error = await refusal(router, query, {"n": 300})
    assert error["extensions"]["value"] == 21 * 300 + 1
    # Absent, the page is the default 20.
    assert "errors" not in (await router.execute(query)).body
    assert calls == ["stock", "stock"]


async def test_cost_verdicts_are_kept_per_variables(shop_graph: Supergraph) -> None:
    """The router keeps each cost verdict (`Router.check_cost`): a repeated request is
    refused or admitted as the first was, and other variables get their own verdict."""
    query = (
        "query($n: Int) { products(first: $n) { edges { node { stockLevels { available } } } } }"
    )
    router, calls = shop_router(shop_graph)
    frames = []
    for _ in range(3):
        error = await refusal(router, query, {"n": 300})
        assert error["extensions"]["value"] == 21 * 300 + 1
        assert "errors" not in (await router.execute(query, {"n": 200})).body
        try:
            router.check_cost(router.documents.get(query), parse(query).definitions[0], {"n": 300})  # type: ignore[arg-type]
        except LimitExceeded as exc:
            frames.append(len(traceback.extract_tb(exc.__traceback__)))
    assert calls == ["stock"] * 3
    assert len(set(frames)) == 1  # the kept exception's traceback does not grow


def test_check_document_copes_with_invalid_documents(shop_graph: Supergraph) -> None:
    schema = shop_graph.api_schema
    for text in [
        "{ nope { deeper { still } } }",
        "{ ...Missing }",
        "fragment A on Customer { ...B } fragment B on Customer { ...A } { __typename }",
        "fragment A on Nope { x } query { ...A }",
    ]:
        check_document(schema, parse(text), DEFAULTS)


async def test_refusals_are_counted_by_limit(shop_sdl: str) -> None:
    calls: list[str] = []
    app = create_router_app(
        shop_sdl, shop.counting_transports(calls), settings=RouterSettings.for_mode(False)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        for query in (shop.nested_orders(15, 2), shop.fragment_bomb(30), shop.nested_orders(15, 2)):
            answer = await client.post(
                "/graphql",
                json={"query": query},
                headers={"accept": "application/graphql-response+json"},
            )
            assert answer.status_code == 400
            assert answer.json()["errors"][0]["extensions"]["code"] == "OPERATION_TOO_COMPLEX"
        text = (await client.get("/metrics")).text
    assert 'nexo_router_limit_refusals_total{limit="depth"} 2.0' in text
    assert 'nexo_router_limit_refusals_total{limit="aliases"} 1.0' in text
    assert calls == []


def test_limits_and_modes_come_from_the_environment() -> None:
    env = {
        "NEXO_ENV": "production",
        "NEXO_LIMIT_DEPTH": "12",
        "NEXO_LIMIT_COST": "off",
        "NEXO_LIMIT_DEADLINE_SECONDS": "2.5",
        "NEXO_INTROSPECTION": "true",
    }
    settings = RouterSettings.from_env(env)
    assert settings.production
    assert (settings.introspection, settings.field_suggestions, settings.graphiql) == (
        True,
        False,
        False,
    )
    assert settings.http_get is False
    assert settings.limits == dataclasses.replace(
        DEFAULTS, depth=12, cost=None, deadline_seconds=2.5
    )
    assert RouterSettings.from_env({}) == RouterSettings()
    assert RouterSettings.from_env({"NEXO_ENV": "production"}, production=False).introspection
    for bad in (
        {"NEXO_LIMIT_DEPTH": "deep"},
        {"NEXO_LIMIT_ALIASES": "-1"},
        {"NEXO_ENV": "prod"},
        {"NEXO_GRAPHIQL": "maybe"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            RouterSettings.from_env(bad)
