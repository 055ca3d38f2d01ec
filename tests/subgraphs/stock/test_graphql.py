"""Stock over GraphQL: payload errors that change nothing, permissions, tenant isolation
and a statement count independent of the page size."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select

from shared.context import Runtime
from subgraphs.stock import api as stock
from subgraphs.stock.models import ProductType, StockMove
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, new_product, receive

TRANSFER = (
    "mutation($i: TransferStockInput!) { transferStock(input: $i) "
    "{ moves { quantity fromLocation { kind } toLocation { kind } } errors { field code } } }"
)
PRODUCTS = (
    "query($n: Int!) { products(first: $n) { totalCount edges { node "
    "{ sku stock { available } stockLevels { onHand warehouse { code } } } } } }"
)


async def moves(runtime: Runtime, site: Site) -> int:
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        return int(await session.scalar(select(func.count()).select_from(StockMove)) or 0)


async def test_transfer_and_its_bad_inputs(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    service_product = await new_product(runtime, site.tenant, ProductType.SERVICE)
    ok = {
        "productId": str(site.product_id),
        "fromLocationId": str(site.stock_id),
        "toLocationId": str(site.input_id),
        "quantity": "2",
    }
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"quantity": "0"}, "input.quantity", "MUST_BE_POSITIVE"),
        ({"quantity": "-3"}, "input.quantity", "MUST_BE_POSITIVE"),
        ({"quantity": "6"}, "input.quantity", "INSUFFICIENT_STOCK"),
        ({"productId": str(site.warehouse_id)}, "input.productId", "NOT_FOUND"),
        ({"productId": str(service_product)}, "input.productId", "NOT_STOCKABLE"),
        ({"toLocationId": str(site.product_id)}, "input.toLocationId", "NOT_FOUND"),
        ({"toLocationId": str(site.stock_id)}, "input.toLocationId", "SAME_LOCATION"),
    ]
    before = await moves(runtime, site)
    for change, field, code in bad:
        r = await stock_gql(TRANSFER, {"i": {**ok, **change}}, token=token)
        payload = r["data"]["transferStock"]
        assert payload["moves"] == []
        assert {"field": field, "code": code} in payload["errors"], (change, payload)
    assert await moves(runtime, site) == before
    r = await stock_gql(TRANSFER, {"i": ok}, token=token)
    assert r["data"]["transferStock"] == {
        "moves": [
            {
                "quantity": "2.0000",
                "fromLocation": {"kind": "STOCK"},
                "toLocation": {"kind": "INPUT"},
            }
        ],
        "errors": [],
    }
    assert await moves(runtime, site) == before + 1


async def test_readers_cannot_write_and_other_tenants_see_nothing(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    viewer = await token_for(tenant, "viewer")
    ok = {
        "productId": str(site.product_id),
        "fromLocationId": str(site.stock_id),
        "toLocationId": str(site.input_id),
        "quantity": "1",
    }
    r = await stock_gql(TRANSFER, {"i": ok}, token=viewer)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    outsider = await token_for(other_tenant, "manager")
    r = await stock_gql(TRANSFER, {"i": ok}, token=outsider)
    assert {e["code"] for e in r["data"]["transferStock"]["errors"]} == {"NOT_FOUND"}
    query = "query($id: ID!) { product(id: $id) { sku } }"
    assert (await stock_gql(query, {"id": str(site.product_id)}, token=outsider))["data"] == {
        "product": None
    }
    mine = await stock_gql(query, {"id": str(site.product_id)}, token=viewer)
    assert mine["data"]["product"] is not None
    assert await moves(runtime, site) == 1


async def test_product_stock_costs_the_same_statements_for_10_and_100_products(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "viewer")
    for _ in range(100):
        product = await new_product(runtime, site.tenant)
        await receive(runtime, site.tenant, product, site.stock_id, "3")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = runtime.db.engine.sync_engine
    counts = []
    for n in (10, 100):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            r = await stock_gql(PRODUCTS, {"n": n}, token=token)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        edges = r["data"]["products"]["edges"]
        assert len(edges) == n
        stocked = [e for e in edges if e["node"]["stockLevels"]]
        assert len(stocked) >= n - 1  # the site's own product has no stock
        assert {Decimal(e["node"]["stock"]["available"]) for e in stocked} == {Decimal(3)}
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 8


ORDERED = (
    "query($s: String!, $o: ProductOrder) { products(filter: {search: $s}, orderBy: $o) "
    "{ edges { node { sku } } } }"
)


async def test_product_order_takes_sort_direction_and_still_the_deprecated_direction(
    runtime: Runtime, stock_gql: GraphQLClient, tenant: TenantHandle, token_for: UserFactory
) -> None:
    token = await token_for(tenant, "viewer")
    prefix = f"ORD-{uuid.uuid4().hex[:6]}"
    async with runtime.db.transaction(tenant.id) as session:
        for suffix in ("B", "A", "C"):
            await stock.create_product(
                session, tenant.id, stock.ProductFields(sku=f"{prefix}-{suffix}", name=suffix)
            )

    async def skus(order: dict[str, str] | None) -> list[str]:
        r = await stock_gql(ORDERED, {"s": prefix, "o": order}, token=token)
        return [e["node"]["sku"].rsplit("-", 1)[1] for e in r["data"]["products"]["edges"]]

    assert await skus(None) == ["A", "B", "C"]
    assert await skus({"field": "SKU", "sortDirection": "DESC"}) == ["C", "B", "A"]
    assert await skus({"field": "SKU", "sortDirection": "ASC"}) == ["A", "B", "C"]
    assert await skus({"field": "SKU", "direction": "DESC"}) == ["C", "B", "A"]
    assert await skus({"field": "NAME", "direction": "ASC"}) == ["A", "B", "C"]
    # Both given: the new field wins.
    assert await skus({"direction": "DESC", "sortDirection": "ASC"}) == ["A", "B", "C"]
    assert await skus({"direction": "ASC", "sortDirection": "DESC"}) == ["C", "B", "A"]
    sdl = (await stock_gql("{ _service { sdl } }", token=token))["data"]["_service"]["sdl"]
    assert 'direction: OrderDirection! = ASC @deprecated(reason: "Use sortDirection.")' in sdl
    assert "sortDirection: SortDirection = null" in sdl


ADJUST = (
    "mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) "
    "{ moves { quantity } errors { field code } } }"
)
RULE = (
    "mutation($i: SetReorderRuleInput!) { setReorderRule(input: $i) "
    "{ rule { minQuantity } errors { field code } } }"
)
PRODUCT = (
    "mutation($i: UpdateProductInput!) { updateProduct(input: $i) "
    "{ product { sku } errors { field code } } }"
)
CREATE = (
    "mutation($i: CreateProductInput!) { createProduct(input: $i) "
    "{ product { sku } errors { field code } } }"
)


async def test_mutations_name_the_input_paths_and_write_nothing(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    async with runtime.db.transaction(site.tenant) as session:
        await stock.reserve(
            session,
            site.tenant,
            demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, Decimal(2))],
        )
    product, stock_id, unknown = str(site.product_id), str(site.stock_id), str(uuid.uuid4())
    cases: list[tuple[str, str, dict[str, Any], list[dict[str, str]]]] = [
        (
            ADJUST,
            "adjustInventory",
            {"locationId": stock_id, "lines": [{"productId": product, "countedQuantity": "-1"}]},
            [{"field": "input.lines.0.countedQuantity", "code": "NEGATIVE"}],
        ),
        # A count below the reserved quantity is posted (test_backorders.py), not refused.
        (
            ADJUST,
            "adjustInventory",
            {
                "locationId": stock_id,
                "lines": [
                    {"productId": product, "countedQuantity": "1.00001"},
                    {"productId": product, "countedQuantity": "2"},
                ],
            },
            [
                {"field": "input.lines.0.countedQuantity", "code": "TOO_PRECISE"},
                {"field": "input.lines", "code": "DUPLICATE"},
            ],
        ),
        (
            ADJUST,
            "adjustInventory",
            {
                "locationId": unknown,
                "lines": [
                    {"productId": unknown, "countedQuantity": "1"},
                    {"productId": product, "countedQuantity": "1"},
                ],
            },
            [
                {"field": "input.lines.0.productId", "code": "NOT_FOUND"},
                {"field": "input.locationId", "code": "NOT_FOUND"},
            ],
        ),
        (
            RULE,
            "setReorderRule",
            {
                "productId": unknown,
                "warehouseId": unknown,
                "minQuantity": "-1",
                "maxQuantity": "-2",
            },
            [
                {"field": "input.minQuantity", "code": "NEGATIVE"},
                {"field": "input.maxQuantity", "code": "BELOW_MIN"},
                {"field": "input.productId", "code": "NOT_FOUND"},
                {"field": "input.warehouseId", "code": "NOT_FOUND"},
            ],
        ),
        (
            PRODUCT,
            "updateProduct",
            {"id": unknown, "name": "Renamed"},
            [{"field": "input.id", "code": "NOT_FOUND"}],
        ),
        (
            PRODUCT,
            "updateProduct",
            {"id": product, "name": " ", "salesPrice": "-1", "type": "SERVICE"},
            [
                {"field": "input.name", "code": "REQUIRED"},
                {"field": "input.salesPrice", "code": "NEGATIVE"},
            ],
        ),
        (
            PRODUCT,
            "updateProduct",
            {"id": product, "type": "SERVICE"},
            [{"field": "input.type", "code": "HAS_MOVES"}],
        ),
        (
            CREATE,
            "createProduct",
            {"sku": "x" * 65, "name": "Too long", "barcode": "1" * 65},
            [
                {"field": "input.sku", "code": "TOO_LONG"},
                {"field": "input.barcode", "code": "TOO_LONG"},
            ],
        ),
    ]
    before = await moves(runtime, site)
    for query, name, variables, errors in cases:
        r = await stock_gql(query, {"i": variables}, token=token)
        payload = r["data"][name]
        assert payload["errors"] == errors, (variables, payload)
        assert payload.get("moves", []) == [] and payload.get("rule") is None, payload
        assert payload.get("product") is None, payload
    assert await moves(runtime, site) == before
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        found = await stock.product(session, site.tenant, site.product_id)
        assert found is not None and (found.name, found.type) == ("Widget", "STOCKABLE")
