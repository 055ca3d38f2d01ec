"""Goods received at a cost: `receiveStock` (a receipt without a purchase order) and
opening balances through `adjustInventory` lines with a `unitCost` (issue 12, item 1)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.context import Runtime
from shared.db import TenantId
from shared.errors import InvalidInput
from subgraphs.stock import api as stock
from subgraphs.stock.models import Receipt, StockMove
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, make_site, new_product

RECEIVE = """mutation($i: ReceiveStockInput!) { receiveStock(input: $i) {
  receipt { id reference warehouse { code } doneBy { id }
    moves { quantity unitCost value sourceType fromLocation { kind } toLocation { kind }
      product { sku } } }
  errors { field code } } }"""
PRODUCT = """query($id: ID!) { product(id: $id) { cost stock { onHand available } } }"""
VALUATION = "{ stockValuation { totalValue lines { quantity unitCost value } } }"
ADJUST = """mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) {
  moves { quantity unitCost reason fromLocation { kind } toLocation { kind } }
  errors { field code } } }"""


def receipt_input(site: Site, *lines: tuple[uuid.UUID, str, str]) -> dict[str, Any]:
    return {
        "warehouseId": str(site.warehouse_id),
        "reference": "DN-4711",
        "lines": [{"productId": str(p), "quantity": q, "unitCost": c} for p, q, c in lines],
    }


async def counts(runtime: Runtime, tenant: TenantId) -> tuple[int, int]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        moves = await session.scalar(select(func.count()).select_from(StockMove))
        receipts = await session.scalar(select(func.count()).select_from(Receipt))
    return int(moves or 0), int(receipts or 0)


async def verify_clean(runtime: Runtime, tenant: TenantId) -> None:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        assert await stock.verify_levels(session, tenant) == []


async def test_receipts_at_cost_move_the_average_and_the_valuation(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    # Today's main has no receipt: `transferStock` from SUPPLIER is NOT_INTERNAL, and a
    # count posts at the current average, 0 for a new product.
    r = await stock_gql(
        RECEIVE, {"i": receipt_input(site, (site.product_id, "10", "4.50"))}, token=token
    )
    payload = r["data"]["receiveStock"]
    assert payload["errors"] == []
    receipt = payload["receipt"]
    assert receipt["reference"] == "DN-4711"
    assert receipt["warehouse"] == {"code": "WH1"}
    assert receipt["doneBy"] is not None
    assert receipt["moves"] == [
        {
            "quantity": "10.0000",
            "unitCost": "4.5000",
            "value": "45.0000",
            "sourceType": "StockReceipt",
            "fromLocation": {"kind": "SUPPLIER"},
            "toLocation": {"kind": "STOCK"},
            "product": {"sku": receipt["moves"][0]["product"]["sku"]},
        }
    ]
    r = await stock_gql(
        RECEIVE, {"i": receipt_input(site, (site.product_id, "30", "5.10"))}, token=token
    )
    assert r["data"]["receiveStock"]["errors"] == []
    # (10 x 4.50 + 30 x 5.10) / 40 = 198 / 40 = 4.95
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"] == {
        "cost": "4.9500",
        "stock": {"onHand": "40.0000", "available": "40.0000"},
    }
    r = await stock_gql(VALUATION, token=token)
    assert r["data"]["stockValuation"] == {
        "totalValue": "198.0000",
        "lines": [{"quantity": "40.0000", "unitCost": "4.9500", "value": "198.0000"}],
    }
    await verify_clean(runtime, site.tenant)


async def test_a_receipt_replays_under_its_idempotency_key(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    variables = {"i": receipt_input(site, (site.product_id, "3", "2"))}
    key = {"idempotency-key": f"rcpt-{uuid.uuid4()}"}
    first = await stock_gql(RECEIVE, variables, token=token, headers=key)
    again = await stock_gql(RECEIVE, variables, token=token, headers=key)
    assert first["data"]["receiveStock"]["errors"] == []
    assert again["data"] == first["data"]
    assert await counts(runtime, site.tenant) == (1, 1)
    other = {"i": receipt_input(site, (site.product_id, "4", "2"))}
    r = await stock_gql(RECEIVE, other, token=token, headers=key)
    assert r["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await counts(runtime, site.tenant) == (1, 1)


async def test_bad_receipts_are_payload_errors_and_write_nothing(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    service = await new_product(runtime, site.tenant, stock.ProductType.SERVICE)
    foreign = await make_site(runtime, other_tenant.id, "WH9")
    good = (site.product_id, "1", "1")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"warehouseId": str(uuid.uuid4())}, "input.warehouseId", "NOT_FOUND"),
        ({"warehouseId": str(foreign.warehouse_id)}, "input.warehouseId", "NOT_FOUND"),
        ({"reference": "  "}, "input.reference", "REQUIRED"),
        ({"reference": "x" * 101}, "input.reference", "TOO_LONG"),
        ({"lines": []}, "input.lines", "REQUIRED"),
    ]
    for line, field, code in [
        ((site.product_id, "0", "1"), "input.lines.1.quantity", "MUST_BE_POSITIVE"),
        ((site.product_id, "1.00001", "1"), "input.lines.1.quantity", "TOO_PRECISE"),
        ((site.product_id, "1", "-1"), "input.lines.1.unitCost", "NEGATIVE"),
        ((site.product_id, "1", "0.00001"), "input.lines.1.unitCost", "TOO_PRECISE"),
        ((uuid.uuid4(), "1", "1"), "input.lines.1.productId", "NOT_FOUND"),
        ((foreign.product_id, "1", "1"), "input.lines.1.productId", "NOT_FOUND"),
        ((service, "1", "1"), "input.lines.1.productId", "NOT_STOCKABLE"),
    ]:
        cases.append((receipt_input(site, good, line), field, code))
    for change, field, code in cases:
        r = await stock_gql(RECEIVE, {"i": {**receipt_input(site, good), **change}}, token=token)
        payload = r["data"]["receiveStock"]
        assert payload["receipt"] is None
        assert {"field": field, "code": code} in payload["errors"], (change, payload)
    assert await counts(runtime, site.tenant) == (0, 0)
    assert await counts(runtime, foreign.tenant) == (0, 0)


async def test_only_stock_writers_receive(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    reader = await token_for(tenant, "sales")
    r = await stock_gql(
        RECEIVE, {"i": receipt_input(site, (site.product_id, "1", "1"))}, token=reader
    )
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await counts(runtime, site.tenant) == (0, 0)
    writer = await token_for(tenant, "warehouse")
    r = await stock_gql(
        RECEIVE, {"i": receipt_input(site, (site.product_id, "1", "1"))}, token=writer
    )
    receipt_id = r["data"]["receiveStock"]["receipt"]["id"]
    query = "query($id: ID!) { stockReceipt(id: $id) { reference moves { quantity } } }"
    r = await stock_gql(query, {"id": receipt_id}, token=reader)
    assert r["data"]["stockReceipt"] == {"reference": "DN-4711", "moves": [{"quantity": "1.0000"}]}
    stranger = await token_for(other_tenant, "warehouse")
    r = await stock_gql(query, {"id": receipt_id}, token=stranger)
    assert r["data"]["stockReceipt"] is None


async def test_an_opening_balance_enters_at_its_cost_with_a_reason(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    line = {"productId": str(site.product_id), "countedQuantity": "20", "unitCost": "7.25"}
    opening = {"locationId": str(site.stock_id), "lines": [line], "reason": "Opening balance"}
    r = await stock_gql(ADJUST, {"i": opening}, token=token)
    assert r["data"]["adjustInventory"] == {
        "moves": [
            {
                "quantity": "20.0000",
                "unitCost": "7.2500",
                "reason": "Opening balance",
                "fromLocation": {"kind": "ADJUSTMENT"},
                "toLocation": {"kind": "STOCK"},
            }
        ],
        "errors": [],
    }
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"]["cost"] == "7.2500"
    # A later count at the average: 5 more at 7.25 without a cost, then 10 at 4.25 with one
    # (20 x 7.25 + 5 x 7.25 + 10 x 4.25) / 35 = 223.75 / 35 = 6.392857... -> 6.3929
    no_cost = {"productId": str(site.product_id), "countedQuantity": "25"}
    recount = {"locationId": str(site.stock_id), "lines": [no_cost]}
    r = await stock_gql(ADJUST, {"i": recount}, token=token)
    assert r["data"]["adjustInventory"]["moves"][0]["unitCost"] == "7.2500"
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"]["cost"] == "7.2500"
    more = {
        "locationId": str(site.stock_id),
        "lines": [{**line, "countedQuantity": "35", "unitCost": "4.25"}],
    }
    r = await stock_gql(ADJUST, {"i": more}, token=token)
    assert r["data"]["adjustInventory"]["errors"] == []
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"]["cost"] == "6.3929"
    # A decrease leaves at the average whatever cost the line names.
    down = {
        "locationId": str(site.stock_id),
        "lines": [{**line, "countedQuantity": "30", "unitCost": "1"}],
        "reason": "Breakage",
    }
    r = await stock_gql(ADJUST, {"i": down}, token=token)
    moves = r["data"]["adjustInventory"]["moves"]
    assert [(m["quantity"], m["unitCost"], m["reason"]) for m in moves] == [
        ("5.0000", "6.3929", "Breakage")
    ]
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"]["cost"] == "6.3929"
    bad = [
        ({**line, "unitCost": "-1"}, None, "input.lines.0.unitCost", "NEGATIVE"),
        ({**line, "unitCost": "0.00001"}, None, "input.lines.0.unitCost", "TOO_PRECISE"),
        (line, "r" * 201, "input.reason", "TOO_LONG"),
    ]
    before = await counts(runtime, site.tenant)
    for ln, reason, field, code in bad:
        r = await stock_gql(
            ADJUST,
            {"i": {"locationId": str(site.stock_id), "lines": [ln], "reason": reason}},
            token=token,
        )
        assert {"field": field, "code": code} in r["data"]["adjustInventory"]["errors"]
    assert await counts(runtime, site.tenant) == before
    await verify_clean(runtime, site.tenant)


async def test_the_service_receipt_writes_nothing_when_a_line_is_refused(
    runtime: Runtime, site: Site
) -> None:
    async with runtime.db.transaction(site.tenant) as session:
        with pytest.raises(InvalidInput) as refused:
            await stock.receive_stock(
                session,
                site.tenant,
                warehouse_id=site.warehouse_id,
                reference="R1",
                lines=[
                    stock.ReceiptLine(site.product_id, Decimal(2), Decimal(1)),
                    stock.ReceiptLine(uuid.uuid4(), Decimal(2), Decimal(1)),
                ],
            )
        # The caller carries on and commits: the receipt's savepoint left nothing behind.
    assert [p.field for p in refused.value.problems] == ["lines.1.productId"]
    assert await counts(runtime, site.tenant) == (0, 0)


async def test_goods_to_inspect_arrive_in_quality_valued_but_not_available(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    into = {**receipt_input(site, (site.product_id, "8", "1.25")), "locationKind": "QUALITY"}
    r = await stock_gql(RECEIVE, {"i": into}, token=token)
    [move] = r["data"]["receiveStock"]["receipt"]["moves"]
    assert move["toLocation"] == {"kind": "QUALITY"}
    r = await stock_gql(PRODUCT, {"id": str(site.product_id)}, token=token)
    assert r["data"]["product"] == {
        "cost": "1.2500",
        "stock": {"onHand": "8.0000", "available": "0.0000"},
    }
    r = await stock_gql(VALUATION, token=token)
    assert r["data"]["stockValuation"]["totalValue"] == "10.0000"
    for kind in ("SCRAP", "OUTPUT"):
        r = await stock_gql(RECEIVE, {"i": {**into, "locationKind": kind}}, token=token)
        assert r["data"]["receiveStock"]["errors"] == [
            {"field": "input.locationKind", "code": "INVALID_CHOICE"}
        ]
    r = await stock_gql(RECEIVE, {"i": {**into, "locationKind": "CUSTOMER"}}, token=token)
    assert r["data"]["receiveStock"]["errors"] == [
        {"field": "input.locationKind", "code": "INVALID_CHOICE"}
    ]
    assert await counts(runtime, site.tenant) == (1, 1)
