"""Issue 12 finding 8 (sales side) and flow 12: ISO 4217 currencies against pycountry's
list; the order's warehouse is the tenant's default and changes while a quotation."""

from __future__ import annotations

import datetime as dt

from shared.context import Runtime
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient
from tests.subgraphs.sales.conftest import CREATE, Shop, create_order, line

UPDATE = """mutation($input: UpdateSalesOrderInput!) { updateSalesOrder(input: $input) {
    order { warehouse { id } } errors { field code } } }"""
SETTINGS = """mutation($input: SetSalesSettingsInput!) { setSalesSettings(input: $input) {
    settings { defaultWarehouse { id } } errors { field code } } }"""
WAREHOUSE = "query($id: ID!) { salesOrder(id: $id) { warehouse { id } } }"


async def test_a_well_formed_code_that_is_no_currency_is_refused(
    sales_gql: GraphQLClient, shop: Shop
) -> None:
    created = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(shop.customer_id),
                "currency": "ZZZ",
                "lines": [line(shop.products["widget"], "1")],
            }
        },
        token=shop.token,
    )
    assert created["data"]["createSalesOrder"] == {
        "order": None,
        "errors": [
            {
                "field": "input.currency",
                "code": "INVALID_CURRENCY",
                "message": "ZZZ is not an ISO 4217 currency",
            }
        ],
    }
    rate = await sales_gql(
        """mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) {
            exchangeRate { rate } errors { field code } } }""",
        {"input": {"currency": "zzz", "date": str(dt.date(2026, 1, 2)), "rate": "1.1"}},
        token=shop.token,
    )
    assert rate["data"]["setExchangeRate"] == {
        "exchangeRate": None,
        "errors": [{"field": "input.currency", "code": "INVALID_CURRENCY"}],
    }
    listed = await sales_gql("{ salesOrders { totalCount } }", token=shop.token)
    assert listed["data"]["salesOrders"] == {"totalCount": 0}


async def test_orders_ship_from_the_default_warehouse_and_can_move_while_quotations(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    async with runtime.db.transaction(shop.tenant.id) as session:
        # "AAA" sorts before "MAIN": the first by code is not the default any more.
        first = await stock.create_warehouse(session, shop.tenant.id, code="AAA", name="Annex")
    first_id = str(first.id)
    main = str(shop.warehouse_id)
    before = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    assert (await sales_gql(WAREHOUSE, {"id": before["id"]}, token=shop.token))["data"][
        "salesOrder"
    ] == {"warehouse": {"id": first_id}}

    chosen = await sales_gql(SETTINGS, {"input": {"defaultWarehouseId": main}}, token=shop.token)
    assert chosen["data"]["setSalesSettings"] == {
        "settings": {"defaultWarehouse": {"id": main}},
        "errors": [],
    }
    read = await sales_gql("{ salesSettings { defaultWarehouse { id } } }", token=shop.token)
    assert read["data"]["salesSettings"] == {"defaultWarehouse": {"id": main}}
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    assert (await sales_gql(WAREHOUSE, {"id": order["id"]}, token=shop.token))["data"][
        "salesOrder"
    ] == {"warehouse": {"id": main}}

    moved = await sales_gql(
        UPDATE, {"input": {"id": order["id"], "warehouseId": first_id}}, token=shop.token
    )
    assert moved["data"]["updateSalesOrder"] == {
        "order": {"warehouse": {"id": first_id}},
        "errors": [],
    }
    unknown = await sales_gql(
        UPDATE,
        {"input": {"id": order["id"], "warehouseId": "00000000-0000-0000-0000-000000000001"}},
        token=shop.token,
    )
    assert unknown["data"]["updateSalesOrder"]["errors"] == [
        {"field": "input.warehouseId", "code": "NOT_FOUND"}
    ]
    bad_default = await sales_gql(
        SETTINGS,
        {"input": {"defaultWarehouseId": "00000000-0000-0000-0000-000000000001"}},
        token=shop.token,
    )
    assert bad_default["data"]["setSalesSettings"]["errors"] == [
        {"field": "input.defaultWarehouseId", "code": "NOT_FOUND"}
    ]

    # Back to the warehouse with the goods; once confirmed there it holds the
    # reservations and no longer moves.
    back = await sales_gql(
        UPDATE, {"input": {"id": order["id"], "warehouseId": main}}, token=shop.token
    )
    assert back["data"]["updateSalesOrder"]["errors"] == []
    confirmed = await sales_gql(
        "mutation($input: ConfirmSalesOrderInput!) { confirmSalesOrder(input: $input) "
        "{ errors { code } } }",
        {"input": {"id": order["id"]}},
        token=shop.token,
    )
    assert confirmed["data"]["confirmSalesOrder"]["errors"] == []
    late = await sales_gql(
        UPDATE, {"input": {"id": order["id"], "warehouseId": first_id}}, token=shop.token
    )
    assert late["data"]["updateSalesOrder"]["errors"] == [
        {"field": "input.id", "code": "NOT_EDITABLE"}
    ]
