"""Issue 12 finding 5: a product price in another currency than the order's is converted
at the rate of the order date, and the line says which rate was used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.context import Runtime
from tests.conftest import GraphQLClient
from tests.subgraphs.sales.conftest import CREATE, Shop, add_customer, create_order, line

RATE = """mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) {
    errors { field code } } }"""
LINES = """query($id: ID!) { salesOrder(id: $id) { currency
    lines { unitPrice priceCurrency priceExchangeRate total { amount currency } } } }"""
TODAY = dt.datetime.now(dt.UTC).date()


async def set_rate(gql: GraphQLClient, shop: Shop, currency: str, day: dt.date, rate: str) -> None:
    result = await gql(
        RATE, {"input": {"currency": currency, "date": str(day), "rate": rate}}, token=shop.token
    )
    assert result["data"]["setExchangeRate"]["errors"] == []


async def order_lines(gql: GraphQLClient, shop: Shop, order_id: str) -> dict[str, Any]:
    result = await gql(LINES, {"id": order_id}, token=shop.token)
    return dict(result["data"]["salesOrder"])


async def test_a_eur_price_on_a_usd_order_is_converted_at_the_order_dates_rate(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    # One USD is 0.80 EUR twenty days ago and 0.50 EUR today: the order of ten days ago
    # takes the older rate, so the 12.50 EUR widget costs 12.50 / 0.80 = 15.625 -> 15.63 USD.
    await set_rate(sales_gql, shop, "USD", TODAY - dt.timedelta(days=20), "0.80")
    await set_rate(sales_gql, shop, "USD", TODAY, "0.50")
    shop.customer_id = await add_customer(runtime, shop.tenant, "Yankee Inc", currency="USD")
    widget = shop.products["widget"]
    order = await create_order(
        sales_gql,
        shop,
        [line(widget, "2"), line(widget, "1", unitPrice="10")],
        orderDate=str(TODAY - dt.timedelta(days=10)),
    )
    assert await order_lines(sales_gql, shop, order["id"]) == {
        "currency": "USD",
        "lines": [
            {
                "unitPrice": "15.6300",
                "priceCurrency": "EUR",
                "priceExchangeRate": "1.25000000",
                "total": {"amount": "31.26", "currency": "USD"},
            },
            # A price entered is the order's own: nothing was converted.
            {
                "unitPrice": "10.0000",
                "priceCurrency": None,
                "priceExchangeRate": None,
                "total": {"amount": "10.00", "currency": "USD"},
            },
        ],
    }
    assert order["total"] == {"amount": "41.26", "currency": "USD"}

    today = await create_order(sales_gql, shop, [line(widget, "1")])
    assert (await order_lines(sales_gql, shop, today["id"]))["lines"][0] == {
        "unitPrice": "25.0000",
        "priceCurrency": "EUR",
        "priceExchangeRate": "2.00000000",
        "total": {"amount": "25.00", "currency": "USD"},
    }


async def test_the_same_currency_is_taken_at_rate_one(sales_gql: GraphQLClient, shop: Shop) -> None:
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    assert (await order_lines(sales_gql, shop, order["id"]))["lines"] == [
        {
            "unitPrice": "12.5000",
            "priceCurrency": "EUR",
            "priceExchangeRate": "1.00000000",
            "total": {"amount": "12.50", "currency": "EUR"},
        }
    ]


async def test_a_missing_rate_is_a_typed_error_and_nothing_is_created(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    shop.customer_id = await add_customer(runtime, shop.tenant, "Yankee Inc", currency="USD")
    result = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(shop.customer_id),
                "lines": [line(shop.products["gadget"], "1"), line(shop.products["widget"], "1")],
            }
        },
        token=shop.token,
    )
    message = (
        f"No USD/EUR exchange rate on or before {TODAY.isoformat()}; enter one with setExchangeRate"
    )
    assert result["data"]["createSalesOrder"] == {
        "order": None,
        "errors": [
            {
                "field": "input.lines.0.productId",
                "code": "EXCHANGE_RATE_MISSING",
                "message": message,
            }
        ],
    }
    listed = await sales_gql("{ salesOrders { totalCount } }", token=shop.token)
    assert listed["data"]["salesOrders"] == {"totalCount": 0}
