"""Federated queries with their exact expected JSON, over both transports."""

from __future__ import annotations

from typing import Any

import pytest

from router.gateway import Router

# Every answer with the shaper's plans walked and written out as code.
pytestmark = pytest.mark.usefixtures("shaping_mode")


async def run(router: Router, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = await router.execute(query, variables, None, {})
    return result.body


async def test_entity_jump_on_a_list(router: Router) -> None:
    body = await run(router, "{ products { name stock: price reviews { stars } } }")
    assert body == {
        "data": {
            "products": [
                {"name": "Table", "stock": 101, "reviews": [{"stars": 5}, {"stars": 3}]},
                {"name": "Chair", "stock": 41, "reviews": [{"stars": 2}]},
                {"name": "Lamp", "stock": 26, "reviews": [{"stars": 4}]},
            ]
        }
    }


async def test_two_jumps_in_a_row(router: Router) -> None:
    body = await run(
        router, "{ topReviews(first: 2) { author { name favoriteProduct { name } } } }"
    )
    assert body == {
        "data": {
            "topReviews": [
                {"author": {"name": "Ada", "favoriteProduct": {"name": "Table"}}},
                {"author": {"name": "Bob", "favoriteProduct": {"name": "Lamp"}}},
            ]
        }
    }


async def test_requires_from_a_third_subgraph(router: Router) -> None:
    body = await run(router, "{ topReviews(first: 2) { product { shippingEstimate } } }")
    assert body == {
        "data": {
            "topReviews": [
                {"product": {"shippingEstimate": 60}},
                {"product": {"shippingEstimate": 10}},
            ]
        }
    }


async def test_provides_avoids_a_fetch(router: Router) -> None:
    result = await router.execute("{ topReviews(first: 1) { product { name } } }", None, None, {})
    assert result.body == {"data": {"topReviews": [{"product": {"name": "Table"}}]}}
    assert result.plan is not None
    assert fetched_services(result.plan.node) == ["reviews"]


async def test_shareable_field_stays_in_the_current_subgraph(router: Router) -> None:
    result = await router.execute("{ lowStock { id category } }", None, None, {})
    assert result.body == {"data": {"lowStock": [{"id": "2", "category": "FURN"}]}}
    assert result.plan is not None
    assert fetched_services(result.plan.node) == ["inventory"]


async def test_compound_key_and_nested_entity(router: Router) -> None:
    body = await run(router, "{ lowStock { sku pkg warehouse { city } } }")
    assert body == {
        "data": {"lowStock": [{"sku": "CHR", "pkg": "box", "warehouse": {"city": "Porto"}}]}
    }


async def test_resolvable_false_key_is_never_fetched(router: Router) -> None:
    result = await router.execute("{ topReviews(first: 1) { author { id name } } }", None, None, {})
    assert result.body == {"data": {"topReviews": [{"author": {"id": "u1", "name": "Ada"}}]}}
    assert result.plan is not None
    assert fetched_services(result.plan.node) == ["reviews", "accounts"]


async def test_override_takes_the_field_from_the_new_owner(router: Router) -> None:
    body = await run(router, '{ product(id: "2") { price } }')
    assert body == {"data": {"product": {"price": 41}}}


async def test_interface_across_subgraphs_with_fragments(router: Router) -> None:
    query = "{ media { __typename title ... on Book { pages } ... on Movie { director } } }"
    assert await run(router, query) == {
        "data": {
            "media": [
                {"__typename": "Book", "title": "Dune", "pages": 412},
                {"__typename": "Movie", "title": "Alien", "director": "Scott"},
            ]
        }
    }


async def test_interface_without_fragments(router: Router) -> None:
    assert await run(router, "{ media { id title } }") == {
        "data": {"media": [{"id": "b1", "title": "Dune"}, {"id": "m1", "title": "Alien"}]}
    }


async def test_union_with_named_fragments(router: Router) -> None:
    query = """
        query { search(term: "a") { __typename ...P ... on Book { title } } }
        fragment P on Product { name stock: price }
    """
    assert await run(router, query) == {
        "data": {
            "search": [
                {"__typename": "Book", "title": "Dune"},
                {"__typename": "Product", "name": "Table", "stock": 101},
                {"__typename": "Product", "name": "Chair", "stock": 41},
                {"__typename": "Product", "name": "Lamp", "stock": 26},
            ]
        }
    }


async def test_interface_object_field(router: Router) -> None:
    query = "{ accounts { __typename email reviewCount ... on Admin { level } } }"
    assert await run(router, query) == {
        "data": {
            "accounts": [
                {"__typename": "Admin", "email": "ada@x", "reviewCount": 2, "level": 9},
                {"__typename": "Member", "email": "bob@x", "reviewCount": 2},
            ]
        }
    }


async def test_aliases_of_one_field_with_different_arguments(router: Router) -> None:
    query = '{ a: product(id: "1") { name } b: product(id: "3") { label: name id } }'
    assert await run(router, query) == {
        "data": {"a": {"name": "Table"}, "b": {"label": "Lamp", "id": "3"}}
    }


async def test_variables_used_only_by_a_nested_fetch(router: Router) -> None:
    query = "query Q($id: ID!, $n: Int) { product(id: $id) { reviews(first: $n) { body } } }"
    result = await router.execute(query, {"id": "1", "n": 1}, None, {})
    assert result.body == {"data": {"product": {"reviews": [{"body": "Sturdy"}]}}}
    assert result.plan is not None
    assert fetch_variables(result.plan.node) == [("products", ["id"]), ("reviews", ["n"])]


async def test_skip_and_include_with_variables(router: Router) -> None:
    query = """query($yes: Boolean!, $no: Boolean!) {
        product(id: "1") {
            name @include(if: $no)
            sku @skip(if: $no)
            reviews @include(if: $yes) { stars }
            ... on Product @skip(if: $yes) { pkg }
        }
    }"""
    assert await run(router, query, {"yes": True, "no": False}) == {
        "data": {"product": {"sku": "TBL", "reviews": [{"stars": 5}, {"stars": 3}]}}
    }


async def test_typename_everywhere(router: Router) -> None:
    query = """{ __typename
        product(id: "2") { __typename reviews { __typename author { __typename } } } }"""
    assert await run(router, query) == {
        "data": {
            "__typename": "Query",
            "product": {
                "__typename": "Product",
                "reviews": [{"__typename": "Review", "author": {"__typename": "User"}}],
            },
        }
    }


async def test_non_null_failure_in_a_nested_fetch_propagates(router: Router) -> None:
    body = await run(router, '{ a: product(id: "3") { name stock } b: product(id: "1") { stock } }')
    assert body == {
        "errors": [
            {
                "message": "stock ledger unavailable for 3",
                "path": ["a", "stock"],
                "extensions": {"serviceName": "inventory"},
            }
        ],
        "data": {"a": None, "b": {"stock": 7}},
    }


async def test_mutations_run_in_document_order_across_subgraphs(router: Router) -> None:
    query = """mutation {
        a: addUser(name: "x") { id }
        b: addReview(body: "y") { stars product { name } }
        c: addUser(name: "z") { id name }
    }"""
    assert await run(router, query) == {
        "data": {
            "a": {"id": "u1"},
            "b": {"stars": 2, "product": {"name": "Table"}},
            "c": {"id": "u3", "name": "z"},
        }
    }


async def test_introspection_is_answered_by_the_router(router: Router) -> None:
    query = '{ __type(name: "Product") { fields { name } } __schema { queryType { name } } }'
    body = await run(router, query)
    names = [f["name"] for f in body["data"]["__type"]["fields"]]
    assert "internalCode" not in names
    assert names[:3] == ["id", "sku", "pkg"]
    assert body["data"]["__schema"] == {"queryType": {"name": "Query"}}
    assert "_entities" not in str(body)


async def test_subgraph_timeout_yields_partial_data(router: Router) -> None:
    body = await run(router, '{ product(id: "1") { name slowStock } }')
    assert body == {
        "errors": [
            {
                "message": "subgraph inventory failed: timed out",
                "path": ["product", "slowStock"],
                "extensions": {"serviceName": "inventory", "code": "SUBGRAPH_FETCH_FAILED"},
            }
        ],
        "data": {"product": {"name": "Table", "slowStock": None}},
    }


def fetched_services(node: Any) -> list[str]:
    from router import plan as p

    if node is None:
        return []
    if isinstance(node, p.Fetch):
        return [node.service]
    if isinstance(node, p.Flatten):
        return [node.node.service]
    return [s for child in node.nodes for s in fetched_services(child)]


def fetch_variables(node: Any) -> list[tuple[str, list[str]]]:
    from router import plan as p

    if isinstance(node, p.Fetch):
        return [(node.service, list(node.variables))]
    if isinstance(node, p.Flatten):
        return fetch_variables(node.node)
    return [v for child in node.nodes for v in fetch_variables(child)]


async def test_key_fetched_from_another_subgraph_first(router: Router) -> None:
    # labels knows Product only by `sku pkg`, which inventory lacks: products supplies it.
    result = await router.execute("{ lowStock { id barcode } }", None, None, {})
    assert result.body == {"data": {"lowStock": [{"id": "2", "barcode": "CHR-BOX"}]}}
    assert result.plan is not None
    assert fetched_services(result.plan.node) == ["inventory", "products", "labels"]


async def test_compound_key_jump(router: Router) -> None:
    body = await run(router, "{ products { barcode } }")
    assert body == {
        "data": {
            "products": [{"barcode": "TBL-BOX"}, {"barcode": "CHR-BOX"}, {"barcode": "LMP-BAG"}]
        }
    }


async def test_input_types_and_custom_scalars(router: Router) -> None:
    query = """query($f: PriceFilter!) {
        priced(filter: $f) { name }
        media { ... on Book { releasedOn } }
    }"""
    assert await run(router, query, {"f": {"min": 30, "max": 120}}) == {
        "data": {
            "priced": [{"name": "Table"}, {"name": "Chair"}],
            "media": [{"releasedOn": "1965-08-01"}, {}],
        }
    }


async def test_bad_variables_are_a_request_error(router: Router) -> None:
    result = await router.execute(
        "query($f: PriceFilter!) { priced(filter: $f) { name } }", {"f": {"min": "x"}}, None, {}
    )
    assert result.request_error
    assert "data" not in result.body
    assert "Int cannot represent non-integer value" in result.body["errors"][0]["message"]


async def test_concrete_types_behind_an_interface_object(router: Router) -> None:
    # reviews sees Account as an object; accounts knows whether each is an Admin or a Member.
    query = "{ topReviewers { id reviewCount __typename email ... on Admin { level } } }"
    result = await router.execute(query, None, None, {})
    assert result.body == {
        "data": {
            "topReviewers": [
                {"id": "u2", "reviewCount": 2, "__typename": "Member", "email": "bob@x"},
                {"id": "u1", "reviewCount": 2, "__typename": "Admin", "email": "ada@x", "level": 9},
            ]
        }
    }
    assert result.plan is not None
    assert fetched_services(result.plan.node) == ["reviews", "accounts"]


async def test_nested_key(router: Router) -> None:
    body = await run(router, "{ warehouses { city shelves { label } } }")
    assert body == {
        "data": {
            "warehouses": [
                {"city": "Lyon", "shelves": [{"label": "W1/A1"}, {"label": "W1/B2"}]},
                {"city": "Porto", "shelves": [{"label": "W2/A1"}, {"label": "W2/B2"}]},
            ]
        }
    }


async def test_client_aliases_never_collide_with_the_routers_own_fields(router: Router) -> None:
    # `id` here is the client's alias for `name`; the router still needs the real id key.
    body = await run(router, '{ product(id: "2") { id: name weight: stock } }')
    assert body == {"data": {"product": {"id": "Chair", "weight": 0}}}
