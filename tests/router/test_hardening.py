"""The router on the internet: each malformed or oversized HTTP input gets its own 4xx,
and in production mode a graphql-cop-style scan finds nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import shop_testgraphs as shop

from router.app import create_router_app
from router.limits import OperationLimits
from router.settings import RouterSettings

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEV = RouterSettings.for_mode(False)
PRODUCTION = RouterSettings.for_mode(True)


@pytest.fixture(scope="module")
def shop_sdl() -> str:
    return shop.supergraph()


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")


def app_for(sdl: str, settings: RouterSettings = DEV, calls: list[str] | None = None) -> Any:
    return create_router_app(
        sdl, shop.counting_transports([] if calls is None else calls), settings=settings
    )


def message(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return str(error["message"])


async def test_a_body_over_the_limit_is_a_413(shop_sdl: str) -> None:
    small = dataclasses.replace(DEV, limits=OperationLimits(body_bytes=1000))
    async with client_for(app_for(shop_sdl, small)) as c:
        padded = {"query": "{ __typename }", "variables": {"pad": "x" * 2000}}
        declared = await c.post("/graphql", json=padded)
        assert declared.status_code == 413
        assert message(declared) == "the request body is larger than 1000 bytes"

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read and counted
            yield b'{"query": "{ __typename }", "variables": {"pad": "'
            for _ in range(20):
                yield b"x" * 100
            yield b'"}}'

        streamed = await c.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        within = await c.post("/graphql", json={"query": "{ __typename }"})
        assert within.json() == {"data": {"__typename": "Query"}}
        text = (await c.get("/metrics")).text
    assert 'nexo_router_limit_refusals_total{limit="bodyBytes"} 2.0' in text


async def test_a_ten_megabyte_query_is_refused(shop_sdl: str) -> None:
    calls: list[str] = []
    async with client_for(app_for(shop_sdl, calls=calls)) as c:
        huge = await c.post("/graphql", json={"query": "{ " + "__typename " * 1_000_000 + "}"})
        assert huge.status_code == 413
        # Within the body limit, the document's own size limit refuses it.
        big = await c.post(
            "/graphql",
            json={"query": "{ " + "__typename " * 10_000 + "}"},
            headers={"accept": GRAPHQL_RESPONSE},
        )
        assert big.status_code == 400
        [error] = big.json()["errors"]
        assert error["extensions"] == {
            "code": "OPERATION_TOO_COMPLEX",
            "limit": "documentBytes",
            "value": 110_003,
            "max": 65_536,
        }
    assert calls == []


async def test_deeply_nested_json_is_a_400_never_a_500(shop_sdl: str) -> None:
    async with client_for(app_for(shop_sdl)) as c:
        for raw in (
            b"[" * 5000 + b"]" * 5000,
            b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
            b'{"query": "{ __typename }", "extensions": ' + b'{"a":' * 40 + b"1" + b"}" * 41,
        ):
            answer = await c.post(
                "/graphql", content=raw, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 400
            assert answer.headers["content-type"].startswith("application/json")
            assert message(answer) == "the body nests deeper than 32 levels"
        got = await c.get(
            "/graphql",
            params={"query": "{ __typename }", "variables": json.dumps({"a": [[[[[1]]]]]} | {})},
        )
        assert got.status_code == 200
        deep = await c.get(
            "/graphql",
            params={"query": "{ __typename }", "variables": '{"a":' + "[" * 99 + "]" * 99 + "}"},
        )
        assert deep.status_code == 400
        assert message(deep) == "variables nests deeper than 32 levels"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([{"query": "{ __typename }"}] * 11, "batched requests (a JSON array of operations)"),
        ({"query": "{ __typename }", "operationName": {"obj": "ect"}}, "operationName must be"),
        ({"query": "{ __typename }", "operationName": 0}, "operationName must be a string"),
        ({"query": "{ __typename }", "operationName": False}, "operationName must be a string"),
        ({"query": "{ __typename }", "operationName": ["array"]}, "operationName must be"),
        ({"query": "{ __typename }", "extensions": "string"}, "extensions must be an object"),
        ({"query": "{ __typename }", "extensions": 0}, "extensions must be an object"),
        ({"query": "{ __typename }", "extensions": False}, "extensions must be an object"),
        ({"query": "{ __typename }", "extensions": ["array"]}, "extensions must be an object"),
        ({"query": "{ __typename }", "variables": "string"}, "variables must be an object"),
        ({"query": "{ __typename }", "variables": ["array"]}, "variables must be an object"),
        ({"query": {"obj": "ect"}}, "a query string is required"),
        ({"qeury": "{ __typename }"}, "a query string is required"),
    ],
)
async def test_malformed_parameters_are_400s(shop_sdl: str, body: Any, expected: str) -> None:
    async with client_for(app_for(shop_sdl)) as c:
        for accept in ("application/json", GRAPHQL_RESPONSE):
            answer = await c.post("/graphql", json=body, headers={"accept": accept})
            assert answer.status_code == 400
            assert message(answer).startswith(expected)
            assert "data" not in answer.json()


# -- graphql-cop's checks -------------------------------------------------------------


async def graphql_cop(c: httpx.AsyncClient) -> list[str]:
    """graphql-cop 1.x's checks (dolevf/graphql-cop lib/tests), each as it decides."""
    found: list[str] = []

    async def post(query: str) -> Any:
        try:
            return (await c.post("/graphql", json={"query": query})).json()
        except ValueError:
            return {}

    aliases = " ".join(f"alias{i}:__typename" for i in range(101))
    if ((await post("query { " + aliases + " }")).get("data") or {}).get("alias100"):
        found.append("Alias Overloading")
    batch = (await c.post("/graphql", json=[{"query": "query { __typename }"}] * 11)).json()
    if isinstance(batch, list) and len(batch) >= 10:
        found.append("Array-based Query Batching")
    directives = await post("query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }")
    if len(directives.get("errors") or []) == 10:
        found.append("Directive Overloading")
    if ((await post("query { " + "__typename \n" * 500 + "} ")).get("data") or {}).get(
        "__typename"
    ):
        found.append("Field Duplication")
    for probe in ("query { __schema { directive } }", "{ customerz { id } }"):
        errors = (await post(probe)).get("errors") or [{}]
        if "Did you mean" in str(errors[0].get("message", "")):
            found.append("Field Suggestions")
            break
    introspect = await post("query { __schema { types { name fields { name } } } }")
    if ((introspect.get("data") or {}).get("__schema") or {}).get("types"):
        found.append("Introspection")
    circular = await post(
        "query { __schema { types { fields { type { fields { type { fields { type { fields"
        " { type { name } } } } } } } } } } }"
    )
    if len(((circular.get("data") or {}).get("__schema") or {}).get("types") or []) > 25:
        found.append("Introspection-based Circular Query")
    circular_fragment = await post(
        "query { __schema { ...A } } fragment A on __Schema { __typename ...B }"
        " fragment B on __Schema { ...A }"
    )
    if "errors" not in circular_fragment:
        found.append("Circular Fragment")
    for path in ("/graphiql", "/playground", "/console", "/graphql"):
        page = await c.get(path)
        browser = await c.get(path, headers={"accept": "text/html"})
        heuristics = ("graphiql.min.css", "GraphQL Playground", "GraphiQL", "graphql-playground")
        if any(w in r.text for r in (page, browser) for w in heuristics):
            found.append("GraphQL IDE")
            break

    def answered(response: httpx.Response) -> bool:
        try:
            return bool(response.json()["data"]["__typename"])
        except (ValueError, KeyError, TypeError):
            return False

    if answered(await c.get("/graphql", params={"query": "{__typename}"})):
        found.append("GET Method Query Support")
    if answered(await c.get("/graphql", params={"query": "mutation {__typename}"})):
        found.append("Mutation is allowed over GET (possible CSRF)")
    if answered(await c.post("/graphql", params={"query": "query {__typename}"})):
        found.append("POST based url-encoded query (possible CSRF)")
    form = await c.post("/graphql", data={"query": "query {__typename}"})
    if answered(form):
        found.append("POST based url-encoded query (possible CSRF)")
    traced = await post("query { __typename }")
    if "tracing" in str(traced.get("extensions", "")) or "stacktrace" in str(traced).lower():
        found.append("Trace Mode")
    unhandled = await post("qwerty cop { abc }")
    if "exception" in str(unhandled).lower():
        found.append("Unhandled Errors Detection")
    return found


async def test_graphql_cop_finds_nothing_in_production(shop_sdl: str) -> None:
    calls: list[str] = []
    async with client_for(app_for(shop_sdl, PRODUCTION, calls)) as c:
        assert await graphql_cop(c) == []
        # What a client may still do: POST queries, with __typename.
        ok = await c.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"})
        assert ok.json() == {"data": {"customers": {"totalCount": 200}}}
        # No hint in errors about what exists.
        for query, variables in (
            ("{ customerz { id } }", None),
            ("{ productionOrders(filter: {status: IN_PROGRES}) { totalCount } }", None),
            (
                "query($s: ProductionStatus) { productionOrders(filter: {status: $s}) "
                "{ totalCount } }",
                {"s": "IN_PROGRES"},
            ),
        ):
            answer = await c.post("/graphql", json={"query": query, "variables": variables})
            assert answer.json()["errors"], query
            assert "Did you mean" not in answer.text
            assert "customers" not in answer.text and "IN_PROGRESS" not in answer.text
        refused = await c.post("/graphql", json={"query": '{ __type(name: "Customer") { name } }'})
        assert "introspection has been disabled" in message(refused)
        assert "data" not in refused.json()
        get = await c.get("/graphql", params={"query": "{ __typename }"})
        assert get.status_code == 405
        assert get.headers["allow"] == "POST"
    assert calls == ["crm"]


async def test_development_keeps_introspection_suggestions_and_graphiql(shop_sdl: str) -> None:
    async with client_for(app_for(shop_sdl, DEV)) as c:
        found = await graphql_cop(c)
        suggestion = await c.post("/graphql", json={"query": "{ customerz { id } }"})
    assert found == [
        "Field Suggestions",
        "Introspection",
        "GraphQL IDE",
        "GET Method Query Support",
    ]
    assert "Did you mean 'customers'?" in message(suggestion)


async def test_production_features_can_be_turned_back_on(shop_sdl: str) -> None:
    settings = RouterSettings.from_env(
        {"NEXO_ENV": "production", "NEXO_INTROSPECTION": "true", "NEXO_HTTP_GET": "1"}
    )
    async with client_for(app_for(shop_sdl, settings)) as c:
        found = await graphql_cop(c)
    assert found == ["Introspection", "GET Method Query Support"]


async def test_production_is_read_from_nexo_env(
    shop_sdl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXO_ENV", "production")
    app = create_router_app(shop_sdl, shop.counting_transports([]))
    assert app.state.settings.production
    assert not app.state.settings.introspection
    explicit = create_router_app(shop_sdl, shop.counting_transports([]), production=False)
    assert explicit.state.settings.introspection
    monkeypatch.setenv("NEXO_LIMIT_ALIASES", "2")
    limited = create_router_app(shop_sdl, shop.counting_transports([]), production=False)
    async with client_for(limited) as c:
        answer = await c.post(
            "/graphql", json={"query": "{ a: __typename b: __typename c: __typename }"}
        )
    assert answer.json()["errors"][0]["extensions"]["limit"] == "aliases"
