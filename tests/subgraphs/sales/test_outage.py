"""Nullability across subgraphs (README "Nullability across subgraphs"): through the router,
a subgraph that is down costs the fields it serves — each null, with an error naming the
subgraph — and never the data of the others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from nexo.graph import Graph, build_graph, in_process_transports
from router.app import create_router_app
from router.transport import Transport, TransportError
from shared.context import Runtime
from tests.conftest import GraphQLClient
from tests.subgraphs.sales.conftest import Shop, create_order, line


class Down:
    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        raise TransportError("unavailable")

    async def aclose(self) -> None:
        return None


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


async def ask(graph: Graph, runtime: Runtime, down: str, token: str, query: str) -> dict[str, Any]:
    transports: dict[str, Transport] = dict(in_process_transports(graph, runtime))
    transports[down] = Down()
    app = create_router_app(graph.composition.supergraph_sdl, transports)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        r = await client.post(
            "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def failed(answer: dict[str, Any]) -> set[tuple[str, str]]:
    """(subgraph, code) of every error; each names the subgraph that was down."""
    return {(e["extensions"].get("serviceName"), e["extensions"]["code"]) for e in answer["errors"]}


async def test_stock_down_leaves_customers_and_orders_standing(
    runtime: Runtime, graph: Graph, shop: Shop, sales_gql: GraphQLClient
) -> None:
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "2")])
    answer = await ask(
        graph,
        runtime,
        "stock",
        shop.token,
        "{ customers { edges { node { name } } } products { totalCount } }",
    )
    assert answer["data"] == {
        "customers": {"edges": [{"node": {"name": "Acme Buyer"}}]},
        "products": None,
    }
    assert failed(answer) == {("stock", "SUBGRAPH_FETCH_FAILED")}

    answer = await ask(
        graph,
        runtime,
        "stock",
        shop.token,
        "{ salesOrders { edges { node { number customer { name } warehouse { name }"
        " lines { quantity product { sku } } } } } }",
    )
    assert answer["data"] == {
        "salesOrders": {
            "edges": [
                {
                    "node": {
                        "number": order["number"],
                        "customer": {"name": "Acme Buyer"},
                        "warehouse": None,
                        "lines": [{"quantity": "2.0000", "product": None}],
                    }
                }
            ]
        }
    }
    assert failed(answer) == {("stock", "SUBGRAPH_FETCH_FAILED")}


async def test_sales_down_leaves_customers_and_products_standing(
    runtime: Runtime, graph: Graph, shop: Shop, sales_gql: GraphQLClient
) -> None:
    await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    answer = await ask(
        graph,
        runtime,
        "sales",
        shop.token,
        "{ customers { edges { node { name orders { totalCount } orderCount"
        " lifetimeValue { amount } } } }"
        ' products(filter: {search: "Widget"}) { edges { node { name salesStats { quantity } } } } }',
    )
    assert answer["data"] == {
        "customers": {
            "edges": [
                {
                    "node": {
                        "name": "Acme Buyer",
                        "orders": None,
                        "orderCount": None,
                        "lifetimeValue": None,
                    }
                }
            ]
        },
        "products": {"edges": [{"node": {"name": "Widget", "salesStats": None}}]},
    }
    assert failed(answer) == {("sales", "SUBGRAPH_FETCH_FAILED")}


async def test_crm_down_leaves_orders_standing(
    runtime: Runtime, graph: Graph, shop: Shop, sales_gql: GraphQLClient
) -> None:
    order = await create_order(sales_gql, shop, [line(shop.products["gadget"], "3")])
    answer = await ask(
        graph,
        runtime,
        "crm",
        shop.token,
        "{ salesOrders { edges { node { number customer { name }"
        " lines { product { name } } } } } }",
    )
    assert answer["data"] == {
        "salesOrders": {
            "edges": [
                {
                    "node": {
                        "number": order["number"],
                        "customer": None,
                        "lines": [{"product": {"name": "Gadget"}}],
                    }
                }
            ]
        }
    }
    assert failed(answer) == {("crm", "SUBGRAPH_FETCH_FAILED")}
