"""Regressions the schema fuzz (tests/nexo/test_fuzz.py) found in stock, or found beside
it: each was an internal error (NUL in text, numeric(18,4) overflow) and is now a clear
error that writes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared.codes import Code
from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, receive

MAX = Decimal("99999999999999.9999")


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


@pytest.mark.parametrize(
    "query",
    [
        'query { products(filter: {search: "a\\u0000"}) { totalCount } }',
        'query { products(filter: {category: "a\\u0000"}) { totalCount } }',
        'mutation { createWarehouse(input: {code: "N\\u0000", name: "x"}) { errors { code } } }',
    ],
)
async def test_nul_in_text_is_bad_user_input(
    stock_gql: GraphQLClient, tenant: TenantHandle, query: str
) -> None:
    answer = await stock_gql(query, token=tenant.token)
    assert answer.get("data") is None
    assert codes(answer) == ["BAD_USER_INPUT"]


async def test_receiving_past_what_numeric_18_4_holds_is_out_of_range(
    runtime: Runtime, site: Site
) -> None:
    """Was `numeric field overflow` from PostgreSQL: 100 on hand plus the largest
    quantity. Receipts reach stock from purchases, production and returns."""
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "100")
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(site.tenant) as session:
            await stock.receive(
                session,
                site.tenant,
                source=None,
                lines=[stock.SupplyLine(site.product_id, site.stock_id, MAX, Decimal(1))],
            )
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("lines.0.quantity", Code.OUT_OF_RANGE)
    ]
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        rows = (await stock.levels_by_product(session, site.tenant, [site.product_id]))[
            site.product_id
        ]
    assert sum((r.on_hand for r in rows), Decimal(0)) == 100


async def test_a_revaluation_past_what_numeric_18_4_holds_is_out_of_range(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "0.0001")
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(site.tenant) as session:
            await stock.revalue(
                session,
                site.tenant,
                product_id=site.product_id,
                value_change=MAX,
                quantity=Decimal("0.0001"),
                source=stock.DocumentRef("VendorBill", uuid.uuid4()),
            )
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("valueChange", Code.OUT_OF_RANGE)
    ]
