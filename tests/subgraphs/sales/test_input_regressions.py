"""Regressions the schema fuzz (tests/nexo/test_fuzz.py) found in sales: amounts that
numeric(18,4) or numeric(18,8) cannot store were internal errors (`numeric field
overflow`); each is now a payload error at the input's path and writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.context import Runtime
from subgraphs.sales.models import ExchangeRate, SalesOrder
from tests.conftest import GraphQLClient
from tests.subgraphs.sales.conftest import CREATE, Shop, line

MAX = "99999999999999.9999"
MAX_CENTS = "99999999999999.99"
"""Lines round to cents: MAX itself rounds up past the limit."""


async def orders(runtime: Runtime, shop: Shop) -> int:
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        return int(await session.scalar(select(func.count()).select_from(SalesOrder)) or 0)


async def test_a_line_total_past_numeric_18_4_is_out_of_range(
    runtime: Runtime, shop: Shop, sales_gql: GraphQLClient
) -> None:
    widget = shop.products["widget"]
    cases = [
        ([line(widget, MAX, unitPrice=MAX)], {("input.lines.0.quantity", "OUT_OF_RANGE")}),
        ([line(widget, MAX)], {("input.lines.0.quantity", "OUT_OF_RANGE")}),  # x 12.50
        ([line(widget, "1", unitPrice=MAX)], {("input.lines.0.quantity", "OUT_OF_RANGE")}),
        (
            [line(widget, "1", unitPrice=MAX_CENTS), line(widget, "1", unitPrice=MAX_CENTS)],
            {("input.lines", "OUT_OF_RANGE")},
        ),
    ]
    for lines, expected in cases:
        answer = await sales_gql(
            CREATE,
            {"input": {"customerId": str(shop.customer_id), "lines": lines}},
            token=shop.token,
        )
        assert "errors" not in answer, answer
        payload = answer["data"]["createSalesOrder"]
        assert payload["order"] is None
        assert {(e["field"], e["code"]) for e in payload["errors"]} == expected
    assert await orders(runtime, shop) == 0
    at_the_limit = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(shop.customer_id),
                "lines": [line(widget, "1", unitPrice=MAX_CENTS)],
            }
        },
        token=shop.token,
    )
    assert at_the_limit["data"]["createSalesOrder"]["errors"] == []


async def test_an_exchange_rate_past_numeric_18_8_is_out_of_range(
    runtime: Runtime, shop: Shop, sales_gql: GraphQLClient
) -> None:
    query = """mutation($i: SetExchangeRateInput!) {
      setExchangeRate(input: $i) { errors { field code message } } }"""
    answer = await sales_gql(
        query,
        {"i": {"currency": "USD", "date": "2026-01-01", "rate": "1000000000000"}},
        token=shop.tenant.token,
    )
    assert answer["data"]["setExchangeRate"]["errors"] == [
        {"field": "input.rate", "code": "OUT_OF_RANGE", "message": "At most 9999999999.99999999"}
    ]
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        assert not await session.scalar(select(func.count()).select_from(ExchangeRate))
