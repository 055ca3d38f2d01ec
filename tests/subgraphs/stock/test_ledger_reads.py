"""The ledger read by people (issue 12, item 13): who posted a move (`doneBy` is a User),
why (`reason`), the running balance and value per product and location, and the
valuation at a past date."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from nexo.graph import build_graph, in_process_transports
from router.app import create_router_app
from shared.context import Runtime
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, make_site, receive

MOVES = """query($f: StockMoveFilter, $n: Int, $after: String) {
  stockMoves(filter: $f, first: $n, after: $after) {
    pageInfo { endCursor hasNextPage }
    edges { node { quantity value balanceAfter valueAfter reason toLocation { kind } } } } }"""
ADJUST = (
    """mutation($i: AdjustInventoryInput!) { adjustInventory(input: $i) { errors { code } } }"""
)
VALUATION = """query($d: Date, $w: ID) { stockValuation(asOf: $d, warehouseId: $w) {
  totalValue lines { quantity unitCost value } } }"""


async def kinds(runtime: Runtime, site: Site) -> dict[str, uuid.UUID]:
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        found = await stock.locations_by_warehouse(session, site.tenant, [site.warehouse_id])
        return {loc.kind: loc.id for loc in found[site.warehouse_id]}


async def history(runtime: Runtime, site: Site) -> dict[str, uuid.UUID]:
    """10 @ 2 and 10 @ 4 in (average 3), 4 to QUALITY, 1 to SCRAP: four moves."""
    where = await kinds(runtime, site)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "2")
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "4")
    for kind, quantity in (("QUALITY", "4"), ("SCRAP", "1")):
        async with runtime.db.transaction(site.tenant) as session:
            await stock.transfer(
                session,
                site.tenant,
                product_id=site.product_id,
                from_location_id=site.stock_id,
                to_location_id=where[kind],
                quantity=Decimal(quantity),
            )
    return where


def rows(r: dict[str, Any]) -> list[tuple[Any, ...]]:
    assert "errors" not in r, r
    return [
        (
            e["node"]["toLocation"]["kind"],
            e["node"]["quantity"],
            e["node"]["balanceAfter"],
            e["node"]["valueAfter"],
        )
        for e in r["data"]["stockMoves"]["edges"]
    ]


async def test_running_balances_per_product_and_location(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    await history(runtime, site)
    count = {
        "locationId": str(site.stock_id),
        "reason": "Annual count: breakage",
        "lines": [{"productId": str(site.product_id), "countedQuantity": "13"}],
    }
    r = await stock_gql(ADJUST, {"i": count}, token=token)
    assert r["data"]["adjustInventory"]["errors"] == []
    product = {"productId": str(site.product_id)}
    r = await stock_gql(MOVES, {"f": product}, token=token)
    # Newest first; over valued stock a transfer to QUALITY changes nothing, SCRAP writes off.
    assert rows(r) == [
        ("ADJUSTMENT", "2.0000", "17.0000", "51.0000"),
        ("SCRAP", "1.0000", "19.0000", "57.0000"),
        ("QUALITY", "4.0000", "20.0000", "60.0000"),
        ("STOCK", "10.0000", "20.0000", "60.0000"),
        ("STOCK", "10.0000", "10.0000", "20.0000"),
    ]
    assert r["data"]["stockMoves"]["edges"][0]["node"]["reason"] == "Annual count: breakage"
    r = await stock_gql(MOVES, {"f": {**product, "locationId": str(site.stock_id)}}, token=token)
    assert rows(r) == [
        ("ADJUSTMENT", "2.0000", "13.0000", "39.0000"),
        ("SCRAP", "1.0000", "15.0000", "45.0000"),
        ("QUALITY", "4.0000", "16.0000", "48.0000"),
        ("STOCK", "10.0000", "20.0000", "60.0000"),
        ("STOCK", "10.0000", "10.0000", "20.0000"),
    ]
    # A later page carries the balance of the whole history, not of the page.
    first = await stock_gql(MOVES, {"f": product, "n": 2}, token=token)
    cursor = first["data"]["stockMoves"]["pageInfo"]["endCursor"]
    r = await stock_gql(MOVES, {"f": product, "n": 2, "after": cursor}, token=token)
    assert [x[2] for x in rows(r)] == ["20.0000", "20.0000"]
    # Without a product there is no balance to speak of.
    r = await stock_gql(MOVES, {"f": {"locationId": str(site.stock_id)}}, token=token)
    assert {(x[2], x[3]) for x in rows(r)} == {(None, None)}
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        valuation = await stock.stock_valuation(session, site.tenant)
        assert await stock.verify_levels(session, site.tenant) == []
    assert [(v.quantity, v.value) for v in valuation] == [(Decimal(17), Decimal("51.0000"))]


async def test_running_balances_cost_the_same_statements_for_5_and_50_moves(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    token = await token_for(tenant, "warehouse")
    for _ in range(4):
        await history(runtime, site)  # 16 moves
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    engine = runtime.db.engine.sync_engine
    counts = []
    # Warm up: the first request of a process caches what every later one reuses.
    await stock_gql(MOVES, {"f": {"productId": str(site.product_id)}, "n": 1}, token=token)
    for n in (5, 16):
        statements.clear()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            r = await stock_gql(
                MOVES, {"f": {"productId": str(site.product_id)}, "n": n}, token=token
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(rows(r)) == n
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 8  # auth and tenant set-up, the count, the page, the balances


async def test_done_by_is_a_user_through_the_router(
    runtime: Runtime, tenant: TenantHandle, site: Site, token_for: UserFactory
) -> None:
    token = await token_for(tenant, "warehouse")
    graph = build_graph()
    app = create_router_app(graph.composition.supergraph_sdl, in_process_transports(graph, runtime))
    receipt = """mutation($i: ReceiveStockInput!) { receiveStock(input: $i) {
      receipt { doneBy { name } moves { doneBy { id name } } } errors { code } } }"""
    variables = {
        "i": {
            "warehouseId": str(site.warehouse_id),
            "reference": "DN-1",
            "lines": [{"productId": str(site.product_id), "quantity": "1", "unitCost": "1"}],
        }
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        response = await client.post(
            "/graphql",
            json={"query": receipt, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    result = body["data"]["receiveStock"]
    assert result["receipt"]["doneBy"] == {"name": "Warehouse"}
    [move] = result["receipt"]["moves"]
    assert move["doneBy"]["name"] == "Warehouse"
    assert uuid.UUID(move["doneBy"]["id"])


async def backdate(owner: AsyncEngine, product_id: uuid.UUID, day: dt.date) -> None:
    """Move the product's moves so far to `day`: done moves are immutable, so the
    trigger is bypassed for this one transaction of the owner."""
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    async with owner.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "UPDATE stock.stock_move SET done_at = :at, created_at = :at WHERE product_id = :p"
            ),
            {"at": at, "p": product_id},
        )


async def test_valuation_at_a_past_date_comes_from_the_ledger(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
    owner_engine: AsyncEngine,
) -> None:
    token = await token_for(tenant, "warehouse")
    today = dt.datetime.now(dt.UTC).date()
    then = today - dt.timedelta(days=10)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "2")
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "4")
    await backdate(owner_engine, site.product_id, then)
    await history(runtime, site)  # 20 more (average stays 3), 1 of them scrapped today
    async with runtime.db.transaction(site.tenant) as session:
        # 39 valued units; 39 more in value: the average goes from 3 to 4.
        await stock.revalue(
            session,
            site.tenant,
            product_id=site.product_id,
            value_change=Decimal(39),
            quantity=Decimal(39),
            source=stock.DocumentRef("LandedCost", uuid.uuid4()),
        )
    other = await make_site(runtime, site.tenant, "WH2")

    async def valuation(day: dt.date | None, warehouse: uuid.UUID | None = None) -> Any:
        r = await stock_gql(
            VALUATION,
            {"d": day.isoformat() if day else None, "w": str(warehouse) if warehouse else None},
            token=token,
        )
        assert "errors" not in r, r
        return r["data"]["stockValuation"]

    assert await valuation(then - dt.timedelta(days=1)) == {"totalValue": "0", "lines": []}
    assert await valuation(then) == {
        "totalValue": "60.0000",
        "lines": [{"quantity": "20.0000", "unitCost": "3.0000", "value": "60.0000"}],
    }
    now = {
        "totalValue": "156.0000",
        "lines": [{"quantity": "39.0000", "unitCost": "4.0000", "value": "156.0000"}],
    }
    assert await valuation(today) == now
    assert await valuation(None) == now
    assert await valuation(then, site.warehouse_id) == {
        "totalValue": "60.0000",
        "lines": [{"quantity": "20.0000", "unitCost": "3.0000", "value": "60.0000"}],
    }
    assert await valuation(then, other.warehouse_id) == {"totalValue": "0", "lines": []}
    assert await valuation(then, uuid.uuid4()) is None


async def test_another_tenant_sees_no_balances_and_no_valuation(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    site: Site,
    other_tenant: TenantHandle,
    token_for: UserFactory,
) -> None:
    await history(runtime, site)
    stranger = await token_for(other_tenant, "warehouse")
    r = await stock_gql(MOVES, {"f": {"productId": str(site.product_id)}}, token=stranger)
    assert rows(r) == []
    today = dt.datetime.now(dt.UTC).date().isoformat()
    r = await stock_gql(VALUATION, {"d": today, "w": str(site.warehouse_id)}, token=stranger)
    assert r["data"]["stockValuation"] is None
    r = await stock_gql(VALUATION, {"d": today}, token=stranger)
    assert r["data"]["stockValuation"] == {"totalValue": "0", "lines": []}
