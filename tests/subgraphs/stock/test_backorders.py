"""Backorders in stock: what a demand could not reserve stays an open claim; stock that
arrives (by any supply path) or frees up goes to the oldest claims first, and a newer
demand queues behind them."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from shared.context import Runtime
from shared.db import Database, TenantId
from shared.errors import InvalidInput
from shared.outbox import OutboxEvent
from subgraphs.stock import api as stock
from subgraphs.stock.models import Claim, Reservation, StockLevel
from tests.conftest import GraphQLClient, MigratedDatabase, TenantHandle
from tests.subgraphs.stock.conftest import Site, UserFactory, make_site, receive

D = Decimal


def so(demand: uuid.UUID) -> stock.DocumentRef:
    return stock.DocumentRef("SalesOrder", demand)


async def reserve(
    runtime: Runtime, site: Site, demand: uuid.UUID, qty: str, *, backorder: bool = True
) -> list[stock.Allocation]:
    async with runtime.db.transaction(site.tenant) as session:
        return await stock.reserve(
            session,
            site.tenant,
            demand=so(demand),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(qty))],
            backorder=backorder,
        )


async def holdings(runtime: Runtime, tenant: TenantId) -> dict[str, Any]:
    """Per demand: (reserved, claimed); the level (on hand, reserved, claimed); the
    ledger check."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        res = {r.demand_id: r.quantity for r in await session.scalars(select(Reservation))}
        cl = {c.demand_id: c.quantity for c in await session.scalars(select(Claim))}
        lv = (
            await session.execute(
                select(StockLevel.on_hand, StockLevel.reserved, StockLevel.claimed)
            )
        ).all()
        diff = await stock.verify_levels(session, tenant)
    demands = set(res) | set(cl)
    return {
        "demands": {d: (res.get(d, D(0)), cl.get(d, D(0))) for d in demands},
        "levels": sorted(tuple(r) for r in lv),
        "verify": diff,
    }


async def test_the_older_backorder_gets_arriving_stock_first_even_when_the_newer_fits(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "3")
    older, newer = uuid.uuid4(), uuid.uuid4()
    [a] = await reserve(runtime, site, older, "10")
    assert (a.reserved, a.claimed) == (D(3), D(7))
    [b] = await reserve(runtime, site, newer, "4")
    assert (b.reserved, b.claimed) == (D(0), D(4))
    # 4 arrive: the newer order's 4 would fit exactly, but the older waits for 7.
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "4")
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {older: (D(7), D(3)), newer: (D(0), D(4))}
    assert state["levels"] == [(D(7), D(7), D(7))]
    assert state["verify"] == []
    # 5 more: 3 close the older claim, 2 go to the newer.
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {older: (D(10), D(0)), newer: (D(2), D(2))}
    assert state["levels"] == [(D(12), D(12), D(2))]
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        events = (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == stock.StockEvent.CLAIM_RESERVED)
                .order_by(OutboxEvent.occurred_at)
            )
        ).all()
        served = [(e.aggregate_id, [ln["reserved"] for ln in e.payload["lines"]]) for e in events]
    assert sorted(served, key=str) == sorted(
        [(older, ["4.0000"]), (older, ["3.0000"]), (newer, ["2.0000"])], key=str
    )


async def test_a_new_demand_queues_behind_open_claims(runtime: Runtime, site: Site) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "2")
    await reserve(runtime, site, uuid.uuid4(), "5")  # 2 reserved, 3 claimed
    # Stock freed elsewhere is not there to take: 0 free for a newcomer.
    with pytest.raises(stock.InsufficientStock) as refused:
        await reserve(runtime, site, uuid.uuid4(), "1", backorder=False)
    [short] = refused.value.shortfalls
    assert (short.requested, short.available) == (D(1), D(0))
    state = await holdings(runtime, site.tenant)
    assert state["levels"] == [(D(2), D(2), D(3))]
    assert state["verify"] == []


@pytest.mark.parametrize("supply", ["produce", "return", "transfer", "count"])
async def test_every_supply_path_serves_the_claims(
    runtime: Runtime, site: Site, supply: str
) -> None:
    demand = uuid.uuid4()
    await reserve(runtime, site, demand, "3")  # nothing on hand: all 3 claimed
    line = stock.SupplyLine(site.product_id, site.stock_id, D(2), D(1))
    async with runtime.db.transaction(site.tenant) as session:
        if supply == "produce":
            await stock.produce(session, site.tenant, source=None, lines=[line])
        elif supply == "return":
            await stock.return_from_customer(session, site.tenant, source=None, lines=[line])
        elif supply == "count":
            await stock.adjust(
                session,
                site.tenant,
                location_id=site.stock_id,
                lines=[stock.CountLine(site.product_id, D(2))],
            )
        else:
            await stock.receive(
                session,
                site.tenant,
                source=None,
                lines=[stock.SupplyLine(site.product_id, site.input_id, D(2), D(1))],
            )
            await stock.transfer(
                session,
                site.tenant,
                product_id=site.product_id,
                from_location_id=site.input_id,
                to_location_id=site.stock_id,
                quantity=D(2),
            )
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {demand: (D(2), D(1))}
    assert state["verify"] == []


async def test_release_drops_claims_and_hands_freed_stock_to_the_oldest_claim(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "4")
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await reserve(runtime, site, first, "4")  # all 4 reserved
    await reserve(runtime, site, second, "3")  # 3 claimed
    await reserve(runtime, site, third, "2")  # 2 claimed
    async with runtime.db.transaction(site.tenant) as session:
        freed = await stock.release(session, site.tenant, demand=so(first))
    assert freed == D(4)
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {second: (D(3), D(0)), third: (D(1), D(1))}
    async with runtime.db.transaction(site.tenant) as session:
        assert await stock.release(session, site.tenant, demand=so(third)) == D(1)
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {second: (D(3), D(0))}
    assert state["levels"] == [(D(4), D(3), D(0))]
    assert state["verify"] == []


async def test_delivering_the_reserved_part_keeps_the_claim_open(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "2")
    demand = uuid.uuid4()
    await reserve(runtime, site, demand, "5")
    async with runtime.db.transaction(site.tenant) as session:
        await stock.deliver(
            session,
            site.tenant,
            demand=so(demand),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(2))],
        )
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {demand: (D(0), D(3))}
    assert state["levels"] == [(D(0), D(0), D(3))]
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "3")
    assert (await holdings(runtime, site.tenant))["demands"] == {demand: (D(3), D(0))}


async def test_another_tenants_location_is_not_found_and_nothing_is_claimed(
    runtime: Runtime, site: Site, other_tenant: TenantHandle
) -> None:
    theirs = await make_site(runtime, other_tenant.id, code="THEM")
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(site.tenant) as session:
            await stock.reserve(
                session,
                site.tenant,
                demand=so(uuid.uuid4()),
                lines=[stock.DemandLine("1", theirs.product_id, theirs.stock_id, D(1))],
                backorder=True,
            )
    assert {p.code for p in refused.value.problems} == {"NOT_FOUND"}
    assert (await holdings(runtime, site.tenant))["demands"] == {}
    assert (await holdings(runtime, other_tenant.id))["demands"] == {}


async def test_backorder_of_a_product_never_stocked_creates_the_level(
    runtime: Runtime, site: Site
) -> None:
    demand = uuid.uuid4()
    [a] = await reserve(runtime, site, demand, "2.5")
    assert (a.reserved, a.claimed) == (D(0), D("2.5"))
    state = await holdings(runtime, site.tenant)
    assert state["levels"] == [(D(0), D(0), D("2.5"))]
    assert state["verify"] == []


ADJUST = """
mutation($i: AdjustInventoryInput!) {
  adjustInventory(input: $i) {
    moves { quantity }
    brokenReservations { demandType demandId demandLine lost product { sku } }
    errors { field code message }
  }
}"""


async def test_a_count_below_the_reserved_quantity_breaks_the_newest_reservations(
    runtime: Runtime,
    stock_gql: GraphQLClient,
    tenant: TenantHandle,
    site: Site,
    token_for: UserFactory,
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10")
    oldest, middle, newest = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for demand, qty in ((oldest, "4"), (middle, "3"), (newest, "2")):
        await reserve(runtime, site, demand, qty, backorder=False)
    # 9 reserved, 4 counted: newest loses 2, middle 3 — the oldest keeps its 4.
    result = await stock_gql(
        ADJUST,
        {
            "i": {
                "locationId": str(site.stock_id),
                "lines": [{"productId": str(site.product_id), "countedQuantity": "4"}],
            }
        },
        token=await token_for(tenant, "warehouse"),
    )
    payload = result["data"]["adjustInventory"]
    assert payload["errors"] == []
    assert [D(m["quantity"]) for m in payload["moves"]] == [D(6)]
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        sku = (await stock.product(session, site.tenant, site.product_id)).sku  # type: ignore[union-attr]
    assert [
        (b["demandType"], b["demandId"], b["demandLine"], D(b["lost"]), b["product"]["sku"])
        for b in payload["brokenReservations"]
    ] == [
        ("SalesOrder", str(newest), "1", D(2), sku),
        ("SalesOrder", str(middle), "1", D(3), sku),
    ]
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {
        oldest: (D(4), D(0)),
        middle: (D(0), D(3)),
        newest: (D(0), D(2)),
    }
    assert state["levels"] == [(D(4), D(4), D(5))]
    assert state["verify"] == []
    # The lost parts are backorders that keep their demands' order: middle before newest.
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "4")
    assert (await holdings(runtime, site.tenant))["demands"] == {
        oldest: (D(4), D(0)),
        middle: (D(3), D(0)),
        newest: (D(1), D(1)),
    }


async def test_a_count_with_a_bad_line_breaks_nothing(
    runtime: Runtime, site: Site, tenant: TenantHandle
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    demand = uuid.uuid4()
    await reserve(runtime, site, demand, "5", backorder=False)
    with pytest.raises(InvalidInput):
        async with runtime.db.transaction(site.tenant) as session:
            await stock.adjust(
                session,
                site.tenant,
                location_id=site.stock_id,
                lines=[
                    stock.CountLine(site.product_id, D(1)),
                    stock.CountLine(uuid.uuid4(), D(1)),
                ],
            )
    state = await holdings(runtime, site.tenant)
    assert state["demands"] == {demand: (D(5), D(0))}
    assert state["levels"] == [(D(5), D(5), D(0))]


async def test_concurrent_backorders_and_arrivals_keep_every_unit_accounted_for(
    runtime: Runtime, test_db: MigratedDatabase, site: Site
) -> None:
    db = Database(test_db.app, pool_size=20, max_overflow=0)
    asked = [D(1 + i % 3) for i in range(24)]

    async def demand(q: Decimal) -> None:
        async with db.transaction(site.tenant) as session:
            await stock.reserve(
                session,
                site.tenant,
                demand=so(uuid.uuid4()),
                lines=[stock.DemandLine("1", site.product_id, site.stock_id, q)],
                backorder=True,
            )

    async def arrival() -> None:
        async with db.transaction(site.tenant) as session:
            await stock.receive(
                session,
                site.tenant,
                source=None,
                lines=[stock.SupplyLine(site.product_id, site.stock_id, D(5), D(1))],
            )

    try:
        await asyncio.gather(*(demand(q) for q in asked), *(arrival() for _ in range(6)))
    finally:
        await db.dispose()
    state = await holdings(runtime, site.tenant)
    assert state["verify"] == []
    [(on_hand, reserved, claimed)] = state["levels"]
    # 30 arrived for 48 asked: all of it reserved, the other 18 still claimed.
    assert (on_hand, reserved, claimed) == (D(30), D(30), D(18))
    assert sum((r + c for r, c in state["demands"].values()), D(0)) == sum(asked)
