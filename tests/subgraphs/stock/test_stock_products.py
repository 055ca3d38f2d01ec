"""A product's unit of measure is fixed once stock has moved, like its type (issue 12,
item 4): the moves are quantities in that unit."""

from __future__ import annotations

from shared.context import Runtime
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, receive

UPDATE = """mutation($i: UpdateProductInput!) { updateProduct(input: $i) {
  product { uom type } errors { field code } } }"""


async def test_the_unit_of_measure_is_fixed_once_stock_has_moved(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    pid = str(site.product_id)
    r = await stock_gql(UPDATE, {"i": {"id": pid, "uom": "kg"}}, token=token)
    assert r["data"]["updateProduct"] == {
        "product": {"uom": "kg", "type": "STOCKABLE"},
        "errors": [],
    }
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "98")
    r = await stock_gql(UPDATE, {"i": {"id": pid, "uom": "box"}}, token=token)
    # Today's main accepts it and 98 kg become 98 boxes.
    assert r["data"]["updateProduct"] == {
        "product": None,
        "errors": [{"field": "input.uom", "code": "HAS_MOVES"}],
    }
    r = await stock_gql(UPDATE, {"i": {"id": pid, "uom": "box", "type": "CONSUMABLE"}}, token=token)
    assert r["data"]["updateProduct"] == {
        "product": None,
        "errors": [
            {"field": "input.type", "code": "HAS_MOVES"},
            {"field": "input.uom", "code": "HAS_MOVES"},
        ],
    }
    # Naming the unit it has already, with other changes, is fine.
    r = await stock_gql(UPDATE, {"i": {"id": pid, "uom": "kg", "name": "Bolts"}}, token=token)
    assert r["data"]["updateProduct"] == {
        "product": {"uom": "kg", "type": "STOCKABLE"},
        "errors": [],
    }
    r = await stock_gql(
        "query($id: ID!) { product(id: $id) { uom name } }", {"id": pid}, token=token
    )
    assert r["data"]["product"] == {"uom": "kg", "name": "Bolts"}


CREATE = """mutation($i: CreateProductInput!) { createProduct(input: $i) {
  product { id sku } errors { field code } } }"""


async def test_skus_differing_only_by_case_are_taken(
    stock_gql: GraphQLClient, tenant: TenantHandle, token_for: UserFactory
) -> None:
    token = await token_for(tenant, "warehouse")
    r = await stock_gql(CREATE, {"i": {"sku": "BR-100", "name": "Bracket"}}, token=token)
    bracket = r["data"]["createProduct"]["product"]["id"]
    # Today's main creates `br-100` beside `BR-100`.
    r = await stock_gql(CREATE, {"i": {"sku": "br-100", "name": "Bracket"}}, token=token)
    assert r["data"]["createProduct"] == {
        "product": None,
        "errors": [{"field": "input.sku", "code": "TAKEN"}],
    }
    r = await stock_gql(CREATE, {"i": {"sku": "BR-200", "name": "Other"}}, token=token)
    other = r["data"]["createProduct"]["product"]["id"]
    r = await stock_gql(UPDATE, {"i": {"id": other, "sku": "Br-100"}}, token=token)
    assert r["data"]["updateProduct"]["errors"] == [{"field": "input.sku", "code": "TAKEN"}]
    # A product may change the case of its own SKU.
    r = await stock_gql(UPDATE, {"i": {"id": bracket, "sku": "br-100"}}, token=token)
    assert r["data"]["updateProduct"]["errors"] == []
