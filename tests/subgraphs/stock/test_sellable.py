"""Sellable versus not (issue 12, items 2 and 10): only STOCK is available; QUALITY is on
hand and valued but not available until released; SCRAP is written off, out of on hand
and valuation. Availability, alerts, replenishment, valuation and the moving average
follow, and returns can go to a chosen location."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, receive

FIGURES = """query($id: ID!) {
  product(id: $id) { cost stock { onHand reserved available scrap }
    stockLevels { onHand available sellable valued location { kind } } }
  stockValuation { totalValue }
  replenishmentSuggestions { available quantity }
  lowStockAlerts(status: OPEN) { edges { node { available } } } }"""
TRANSFER = """mutation($i: TransferStockInput!) { transferStock(input: $i) {
  moves { quantity unitCost value toLocation { kind sellable valued } } errors { code } } }"""


async def kinds(runtime: Runtime, site: Site) -> dict[str, uuid.UUID]:
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        found = await stock.locations_by_warehouse(session, site.tenant, [site.warehouse_id])
        return {loc.kind: loc.id for loc in found[site.warehouse_id]}


async def figures(gql: GraphQLClient, site: Site, token: str) -> dict[str, Any]:
    r = await gql(FIGURES, {"id": str(site.product_id)}, token=token)
    assert "errors" not in r, r
    data: dict[str, Any] = r["data"]
    levels = data["product"].pop("stockLevels")
    data["levels"] = {
        lv["location"]["kind"]: (lv["onHand"], lv["available"], lv["sellable"], lv["valued"])
        for lv in levels
    }
    data["alerts"] = [e["node"]["available"] for e in data.pop("lowStockAlerts")["edges"]]
    return data


async def test_scrap_and_quality_are_not_available_and_scrap_is_not_valued(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    where = await kinds(runtime, site)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "30", "2.50")
    async with runtime.db.transaction(site.tenant) as session:
        await stock.set_reorder_rule(
            session,
            site.tenant,
            product_id=site.product_id,
            warehouse_id=site.warehouse_id,
            min_quantity=Decimal(27),
            max_quantity=Decimal(200),
        )
    base = await figures(stock_gql, site, token)
    assert base["replenishmentSuggestions"] == [] and base["alerts"] == []

    def move(to: str, quantity: str = "5", source: uuid.UUID | None = None) -> dict[str, Any]:
        return {
            "productId": str(site.product_id),
            "fromLocationId": str(source or site.stock_id),
            "toLocationId": str(where[to]),
            "quantity": quantity,
        }

    r = await stock_gql(TRANSFER, {"i": move("SCRAP")}, token=token)
    # The move's value is what was written off: 5 x 2.50.
    assert r["data"]["transferStock"] == {
        "moves": [
            {
                "quantity": "5.0000",
                "unitCost": "2.5000",
                "value": "12.5000",
                "toLocation": {"kind": "SCRAP", "sellable": False, "valued": False},
            }
        ],
        "errors": [],
    }
    # Today's main: available 30, valuation 75.00, no alert, suggestion none (30 >= 27).
    after_scrap = await figures(stock_gql, site, token)
    assert after_scrap["product"] == {
        "cost": "2.5000",
        "stock": {
            "onHand": "25.0000",
            "reserved": "0.0000",
            "available": "25.0000",
            "scrap": "5.0000",
        },
    }
    assert after_scrap["stockValuation"] == {"totalValue": "62.5000"}
    assert after_scrap["alerts"] == ["25.0000"]
    assert after_scrap["replenishmentSuggestions"] == [
        {"available": "25.0000", "quantity": "175.0000"}
    ]

    r = await stock_gql(TRANSFER, {"i": move("QUALITY")}, token=token)
    assert r["data"]["transferStock"]["errors"] == []
    held = await figures(stock_gql, site, token)
    assert held["product"]["stock"] == {
        "onHand": "25.0000",
        "reserved": "0.0000",
        "available": "20.0000",
        "scrap": "5.0000",
    }
    assert held["levels"] == {
        "STOCK": ("20.0000", "20.0000", True, True),
        "QUALITY": ("5.0000", "0.0000", False, True),
        "SCRAP": ("5.0000", "0.0000", False, False),
    }
    assert held["stockValuation"] == {"totalValue": "62.5000"}
    assert held["replenishmentSuggestions"] == [{"available": "20.0000", "quantity": "180.0000"}]

    # Released from quality back into STOCK: available again.
    r = await stock_gql(TRANSFER, {"i": move("STOCK", source=where["QUALITY"])}, token=token)
    assert r["data"]["transferStock"]["errors"] == []
    released = await figures(stock_gql, site, token)
    assert released["product"]["stock"]["available"] == "25.0000"
    assert released["replenishmentSuggestions"] == [
        {"available": "25.0000", "quantity": "175.0000"}
    ]

    # A receipt averages with the valued 25, not the 30 that include scrap:
    # (25 x 2.50 + 10 x 4.00) / 35 = 102.50 / 35 = 2.928571... -> 2.9286 (main: 2.8750).
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "4")
    later = await figures(stock_gql, site, token)
    assert later["product"]["cost"] == "2.9286"
    assert later["stockValuation"] == {"totalValue": "102.5010"}  # 35 x 2.9286
    assert later["alerts"] == []
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        assert await stock.verify_levels(session, site.tenant) == []


async def test_locations_say_which_are_sellable(
    stock_gql: GraphQLClient, tenant: TenantHandle, site: Site, token_for: UserFactory
) -> None:
    token = await token_for(tenant, "warehouse")
    query = "query($id: ID!) { product(id: $id) { id } }"
    assert (await stock_gql(query, {"id": str(site.product_id)}, token=token))["data"]
    r = await stock_gql(
        "{ warehouses { edges { node { locations { kind internal sellable valued } } } } }",
        token=token,
    )
    locations = r["data"]["warehouses"]["edges"][0]["node"]["locations"]
    assert {(x["kind"], x["internal"], x["sellable"], x["valued"]) for x in locations} == {
        ("STOCK", True, True, True),
        ("INPUT", True, False, True),
        ("OUTPUT", True, False, True),
        ("QUALITY", True, False, True),
        ("SCRAP", True, False, False),
    }


async def test_returns_go_to_the_location_of_their_condition(
    runtime: Runtime, site: Site, other_tenant: TenantHandle
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "3")
    async with runtime.db.transaction(site.tenant) as session:
        scrap = await stock.location_of_kind(
            session, site.tenant, site.warehouse_id, stock.LocationKind.SCRAP
        )
        quality = await stock.location_of_kind(
            session, site.tenant, site.warehouse_id, stock.LocationKind.QUALITY
        )
        cost = (await stock.products_by_id(session, site.tenant, [site.product_id]))[
            site.product_id
        ].cost
        for location, quantity in ((scrap, "2"), (quality, "1")):
            await stock.return_from_customer(
                session,
                site.tenant,
                source=stock.DocumentRef("SalesReturn", uuid.uuid4()),
                lines=[stock.SupplyLine(site.product_id, location, Decimal(quantity), cost)],
            )
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        levels = (await stock.levels_by_product(session, site.tenant, [site.product_id]))[
            site.product_id
        ]
        valuation = await stock.stock_valuation(session, site.tenant)
        assert await stock.verify_levels(session, site.tenant) == []
    by_kind = {lv.kind: lv for lv in levels}
    assert (
        by_kind[stock.LocationKind.SCRAP].on_hand,
        by_kind[stock.LocationKind.SCRAP].available,
    ) == (Decimal(2), Decimal(0))
    assert (
        by_kind[stock.LocationKind.QUALITY].on_hand,
        by_kind[stock.LocationKind.QUALITY].available,
    ) == (Decimal(1), Decimal(0))
    assert sum((lv.available for lv in levels), Decimal(0)) == Decimal(10)
    # The bent goods stay out of valuation: 10 in STOCK + 1 in QUALITY, at 3.
    assert [(v.quantity, v.value) for v in valuation] == [(Decimal(11), Decimal("33.0000"))]

    async with runtime.db.transaction(site.tenant) as session:
        with pytest.raises(InvalidInput) as unknown:
            await stock.location_of_kind(
                session, site.tenant, uuid.uuid4(), stock.LocationKind.QUALITY
            )
        with pytest.raises(InvalidInput) as virtual:
            await stock.location_of_kind(
                session, site.tenant, site.warehouse_id, stock.LocationKind.CUSTOMER
            )
    assert [(p.field, p.code) for p in unknown.value.problems] == [("warehouseId", "NOT_FOUND")]
    assert [(p.field, p.code) for p in virtual.value.problems] == [("kind", "NOT_INTERNAL")]
    async with runtime.db.transaction(other_tenant.id) as session:
        with pytest.raises(InvalidInput):
            await stock.location_of_kind(
                session, other_tenant.id, site.warehouse_id, stock.LocationKind.SCRAP
            )
