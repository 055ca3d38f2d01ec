"""Composition: our supergraph serves the queries; errors name subgraph and coordinate."""

from __future__ import annotations

import pytest
from graphql import (
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    lexicographic_sort_schema,
    parse,
    print_schema,
)
from router_harness import SubgraphServer, guild_compose, in_process_transports
from test_queries import fetched_services

from router.compose import CompositionError, compose, join_version
from router.gateway import Router
from router.query_planner import build_plan
from router.subgraph_sdl import read_subgraph
from router.supergraph import SupergraphError, load_supergraph

HEAD = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: {imports})\n'


def sub(
    name: str, body: str, imports: str = '["@key", "@shareable", "@external", "@requires"]'
) -> dict[str, str]:
    return {
        "name": name,
        "url": f"http://{name}/graphql",
        "sdl": HEAD.format(imports=imports) + body,
    }


def test_api_schema_equals_the_guild_composers(
    services: list[dict[str, str]], supergraph_sdl: str
) -> None:
    theirs = guild_compose(services)
    assert theirs["errors"] == []
    ours = load_supergraph(supergraph_sdl).api_schema
    other = load_supergraph(theirs["supergraphSdl"]).api_schema
    assert print_schema(lexicographic_sort_schema(ours)) == print_schema(
        lexicographic_sort_schema(other)
    )
    public = build_schema(theirs["publicSdl"])
    assert find_breaking_changes(public, ours) == []
    assert find_dangerous_changes(public, ours) == []


def test_join_version_follows_the_federation_version() -> None:
    def version(v: str) -> str:
        url = f"https://specs.apollo.dev/federation/v{v}"
        sdl = f'extend schema @link(url: "{url}", import: ["@key"])\ntype Query {{ a: Int }}'
        return join_version([read_subgraph("a", "", sdl)])

    assert (version("2.3"), version("2.7"), version("2.9")) == ("0.3", "0.4", "0.5")


@pytest.mark.parametrize(("version", "join"), [("2.3", "0.3"), ("2.7", "0.4"), ("2.9", "0.5")])
def test_each_join_version_is_composed_and_read(version: str, join: str) -> None:
    head = HEAD.replace("v2.7", f"v{version}").format(imports='["@key", "@shareable"]')
    services = [
        {
            "name": "a",
            "url": "http://a/graphql",
            "sdl": head + 'type Query { p: P } type P @key(fields: "id") { id: ID! a: Int }',
        },
        {
            "name": "b",
            "url": "http://b/graphql",
            "sdl": head + 'type P @key(fields: "id") { id: ID! b: Int }',
        },
    ]
    link = f'@link(url: "https://specs.apollo.dev/join/v{join}", for: EXECUTION)'
    ours = compose(services).supergraph_sdl
    theirs = guild_compose(services)["supergraphSdl"]
    assert link in ours
    assert link in theirs
    for sdl in (ours, theirs):
        sg = load_supergraph(sdl)
        plan = build_plan(sg, parse("{ p { a b } }"), None)
        assert fetched_services(plan.node) == ["a", "b"]


def test_unknown_execution_feature_is_refused() -> None:
    sdl = compose([sub("a", "type Query { a: Int }")]).supergraph_sdl
    sdl = sdl.replace(
        '@link(url: "https://specs.apollo.dev/tag/v0.3")',
        '@link(url: "https://specs.apollo.dev/tag/v0.3") '
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
    )
    with pytest.raises(SupergraphError, match=r"authenticated/v0\.1"):
        load_supergraph(sdl)


def issues(services: list[dict[str, str]]) -> list[str]:
    with pytest.raises(CompositionError) as caught:
        compose(services)
    return [str(i) for i in caught.value.issues]


def test_type_conflict() -> None:
    found = issues(
        [
            sub("a", 'type Query { p: P } type P @key(fields: "id") { id: ID! price: Int }'),
            sub("b", 'type P @key(fields: "id") { id: ID! price: String @shareable }'),
        ]
    )
    assert any(i.startswith("[b] P.price: type conflict") for i in found), found


def test_kind_conflict() -> None:
    found = issues(
        [
            sub("a", "type Query { p: P } type P { id: ID! }"),
            sub("b", "interface P { id: ID! }"),
        ]
    )
    assert found == ["[b] P: type conflict: P is object in a, interface in b"]


def test_non_shareable_field_in_two_subgraphs() -> None:
    found = issues(
        [
            sub("a", 'type Query { p: P } type P @key(fields: "id") { id: ID! name: String }'),
            sub("b", 'type P @key(fields: "id") { id: ID! name: String }'),
        ]
    )
    assert found == [
        "[a] P.name: non-shareable field is resolved by several subgraphs (a, b); "
        "mark it @shareable in each of them"
    ]


def test_unknown_key_field() -> None:
    found = issues([sub("a", 'type Query { p: P } type P @key(fields: "sku") { id: ID! }')])
    assert found == ['[a] P.sku: @key(fields: "sku") names a field that P does not define']


def test_requires_of_a_field_that_is_not_external() -> None:
    found = issues(
        [
            sub("a", 'type Query { p: P } type P @key(fields: "id") { id: ID! w: Int }'),
            sub(
                "b",
                'type P @key(fields: "id") '
                '{ id: ID! w: Int @shareable e: Int @requires(fields: "w") }',
            ),
        ]
    )
    assert '[b] P.e: @requires(fields: "w") names P.w, which is not marked @external' in found


def test_provides_of_an_unknown_field() -> None:
    found = issues(
        [
            sub(
                "a",
                'type Query { r: R } type R { p: P @provides(fields: "nope") } '
                'type P @key(fields: "id") { id: ID! }',
                '["@key", "@provides"]',
            ),
        ]
    )
    assert found == ['[a] R.p: @provides(fields: "nope") names an unknown field P.nope']


def test_invalid_sdl_names_the_subgraph() -> None:
    assert issues([sub("broken", "type Query {")])[0].startswith("[broken] (schema): invalid SDL")


def test_composed_directives_tags_and_inaccessible_reach_the_supergraph(
    supergraph_sdl: str,
) -> None:
    assert '@link(url: "https://nexo.dev/cache/v1.0", import: ["@cacheControl"])' in supergraph_sdl
    assert "@cacheControl(maxAge: 60)" in supergraph_sdl
    assert '@tag(name: "public")' in supergraph_sdl
    api = load_supergraph(supergraph_sdl).api_schema
    assert api.get_directive("cacheControl") is not None
    assert api.get_directive("tag") is None
    assert "internalCode" not in api.get_type("Product").fields  # type: ignore[union-attr]


async def test_our_router_serves_the_guild_composers_supergraph(
    services: list[dict[str, str]], routers: dict[str, Router]
) -> None:
    from test_oracle_gateway import QUERIES

    theirs = load_supergraph(guild_compose(services)["supergraphSdl"])
    other = Router(theirs, in_process_transports())
    for query, variables in QUERIES:
        expected = (await routers["in-process"].execute(query, variables)).body
        assert (await other.execute(query, variables)).body == expected, query


def test_argument_type_conflict() -> None:
    found = issues(
        [
            sub(
                "a",
                'type Query { p: P } type P @key(fields: "id") '
                "{ id: ID! price(cur: String): Int @shareable }",
            ),
            sub("b", 'type P @key(fields: "id") { id: ID! price(cur: Int): Int @shareable }'),
        ]
    )
    assert found == ["[b] P.price(cur:): type conflict: argument is String in a but Int in b"]


def test_unused_external() -> None:
    found = issues(
        [
            sub("a", 'type Query { p: P } type P @key(fields: "id") { id: ID! w: Int }'),
            sub("b", 'type P @key(fields: "id") { id: ID! w: Int @external x: Int }'),
        ]
    )
    assert found == ["[b] P.w: @external field is used by no @key, @requires or @provides"]


def test_override_from_itself() -> None:
    found = issues(
        [sub("a", 'type Query { p: Int @override(from: "a") }', '["@key", "@override"]')]
    )
    assert found == ["[a] Query.p: @override(from:) names its own subgraph"]


def test_required_input_field_missing_in_a_subgraph() -> None:
    found = issues(
        [
            sub("a", "type Query { p(f: F): Int } input F { a: Int b: Int! }"),
            sub("b", "type Query { q(f: F): Int } input F { a: Int }"),
        ]
    )
    assert found == ["[a] F.b: required input field is missing from b"]


def test_interface_object_without_the_interface() -> None:
    found = issues(
        [
            sub(
                "a",
                'type Query { m: M } type M @key(fields: "id") @interfaceObject { id: ID! }',
                '["@key", "@interfaceObject"]',
            )
        ]
    )
    assert found == ["[a] M: @interfaceObject, but no subgraph defines the interface M"]


async def test_compose_live_subgraphs_over_both_transports(
    servers: dict[str, SubgraphServer], supergraph_sdl: str
) -> None:
    from router.compose import compose_subgraphs
    from router.transport import HttpTransport

    in_process = in_process_transports()
    http = {n: HttpTransport(s.url) for n, s in servers.items()}
    try:
        over_http = await compose_subgraphs({n: (s.url, http[n]) for n, s in servers.items()})
        direct = await compose_subgraphs({n: (s.url, in_process[n]) for n, s in servers.items()})
    finally:
        for t in http.values():
            await t.aclose()
    assert over_http == direct
    assert over_http.supergraph_sdl == supergraph_sdl


def test_context_arguments_are_refused_by_name() -> None:
    v09 = HEAD.replace("v2.7", "v2.9").format(imports='["@key", "@context", "@fromContext"]')
    services = [
        {
            "name": "a",
            "url": "http://a/graphql",
            "sdl": v09 + 'type Query { u: U } type U @key(fields: "id") @context(name: "u") '
            "{ id: ID! lang: String! p: P } "
            'type P @key(fields: "id") { id: ID! '
            'title(lang: String @fromContext(field: "$u { lang }")): String }',
        }
    ]
    theirs = guild_compose(services)
    assert theirs["errors"] == []
    with pytest.raises(SupergraphError, match=r"context/v0\.1 for SECURITY"):
        load_supergraph(theirs["supergraphSdl"])


def test_access_control_directives_are_refused_not_dropped() -> None:
    found = issues(
        [
            sub(
                "a",
                "type Query { secret: Int @authenticated "
                'open(x: Int @fromContext(field: "$c { x }")): Int }',
                '["@key", "@authenticated", "@fromContext"]',
            )
        ]
    )
    assert found == [
        "[a] Query.secret: @authenticated is not supported by this composer",
        "[a] Query.open(x:): @fromContext is not supported by this composer",
    ]
