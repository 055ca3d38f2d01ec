"""Property-based: random receipts, transfers, reservations (some backordered), releases,
deliveries and counts (also below the reserved quantity) keep the levels, reservations and
claims equal to a simple model and to the ledger, never negative. The model's backorder
rules: a new demand takes only what no claim waits for; free stock goes to the oldest
claims; a count below the reserved quantity takes from the newest reservations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule
from sqlalchemy import select

from nexo.runtime import build_runtime
from shared.errors import InvalidInput
from shared.settings import Settings
from subgraphs.stock import api as stock
from subgraphs.stock.models import Claim, Reservation, StockLevel
from tests.conftest import MigratedDatabase, make_tenant
from tests.subgraphs.stock.conftest import make_site

T = TypeVar("T")
D = Decimal
qty = st.integers(min_value=1, max_value=12).map(D)


def test_levels_follow_the_model(settings: Settings, test_db: MigratedDatabase) -> None:
    # Hypothesis drives a synchronous machine; it gets its own loop and engine.
    loop = asyncio.new_event_loop()
    runtime = build_runtime(settings, test_db.app, pool_size=2)

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return loop.run_until_complete(coro)

    class Ledger(RuleBasedStateMachine):
        demands = Bundle("demands")

        def __init__(self) -> None:
            super().__init__()
            tenant = run(make_tenant(runtime, "Model")).id
            self.site = run(make_site(runtime, tenant))
            self.tenant = tenant
            self.locs = [self.site.stock_id, self.site.input_id]
            self.on_hand = {loc: D(0) for loc in self.locs}
            # demand -> [location, reserved, claimed], in the order the demands came.
            self.held: dict[uuid.UUID, list[Any]] = {}

        def reserved(self, loc: uuid.UUID) -> Decimal:
            return sum((h[1] for h in self.held.values() if h[0] == loc), D(0))

        def claimed(self, loc: uuid.UUID) -> Decimal:
            return sum((h[2] for h in self.held.values() if h[0] == loc), D(0))

        def free(self, loc: uuid.UUID) -> Decimal:
            return self.on_hand[loc] - self.reserved(loc)

        def fill(self, loc: uuid.UUID) -> None:
            for h in self.held.values():  # oldest first
                if h[0] == loc and h[2] > 0:
                    take = min(self.free(loc), h[2])
                    h[1] += take
                    h[2] -= take

        def drop_empty(self) -> None:
            self.held = {d: h for d, h in self.held.items() if h[1] > 0 or h[2] > 0}

        async def call(self, fn: Any, **kwargs: Any) -> bool:
            try:
                async with runtime.db.transaction(self.tenant) as session:
                    await fn(session, self.tenant, **kwargs)
            except InvalidInput:
                return False
            return True

        @rule(loc=st.integers(0, 1), q=qty, cost=st.integers(0, 20))
        def receive(self, loc: int, q: Decimal, cost: int) -> None:
            line = stock.SupplyLine(self.site.product_id, self.locs[loc], q, D(cost))
            assert run(self.call(stock.receive, source=None, lines=[line]))
            self.on_hand[self.locs[loc]] += q
            self.fill(self.locs[loc])

        @rule(src=st.integers(0, 1), q=qty)
        def transfer(self, src: int, q: Decimal) -> None:
            a, b = self.locs[src], self.locs[1 - src]
            ok = run(
                self.call(
                    stock.transfer,
                    product_id=self.site.product_id,
                    from_location_id=a,
                    to_location_id=b,
                    quantity=q,
                )
            )
            assert ok == (q <= self.free(a))
            if ok:
                self.on_hand[a] -= q
                self.on_hand[b] += q
                self.fill(b)

        @rule(target=demands, loc=st.integers(0, 1), q=qty, backorder=st.booleans())
        def reserve(self, loc: int, q: Decimal, backorder: bool) -> uuid.UUID:
            demand, where = uuid.uuid4(), self.locs[loc]
            line = stock.DemandLine("1", self.site.product_id, where, q)
            ok = run(
                self.call(
                    stock.reserve,
                    demand=stock.DocumentRef("SO", demand),
                    lines=[line],
                    backorder=backorder,
                )
            )
            available = max(self.free(where) - self.claimed(where), D(0))
            assert ok == (backorder or q <= available)
            if ok:
                take = min(q, available)
                self.held[demand] = [where, take, q - take]
            return demand

        @rule(demand=consumes(demands))
        def release(self, demand: uuid.UUID) -> None:
            assert run(self.call(stock.release, demand=stock.DocumentRef("SO", demand)))
            if demand in self.held:
                where = self.held.pop(demand)[0]
                self.fill(where)

        @rule(demand=demands, part=st.integers(1, 12))
        def deliver(self, demand: uuid.UUID, part: int) -> None:
            if demand not in self.held or self.held[demand][1] == 0:
                return
            h = self.held[demand]
            take = min(D(part), h[1])
            line = stock.DemandLine("1", self.site.product_id, h[0], take)
            assert run(
                self.call(stock.deliver, demand=stock.DocumentRef("SO", demand), lines=[line])
            )
            self.on_hand[h[0]] -= take
            h[1] -= take
            self.drop_empty()

        @rule(loc=st.integers(0, 1), counted=st.integers(0, 30).map(D))
        def adjust(self, loc: int, counted: Decimal) -> None:
            where = self.locs[loc]
            line = stock.CountLine(self.site.product_id, counted)
            assert run(self.call(stock.adjust, location_id=where, lines=[line]))
            excess = self.reserved(where) - counted
            for h in reversed(self.held.values()):  # newest first
                if excess > 0 and h[0] == where:
                    lost = min(excess, h[1])
                    h[1] -= lost
                    h[2] += lost
                    excess -= lost
            self.on_hand[where] = counted
            self.fill(where)

        @invariant()
        def levels_match_model_and_ledger(self) -> None:
            async def read() -> tuple[dict[uuid.UUID, Any], dict[Any, list[Decimal]], list[Any]]:
                async with runtime.db.transaction(self.tenant, readonly=True) as session:
                    rows = await session.execute(
                        select(
                            StockLevel.location_id,
                            StockLevel.on_hand,
                            StockLevel.reserved,
                            StockLevel.claimed,
                        )
                    )
                    levels = {r[0]: (r[1], r[2], r[3]) for r in rows.all()}
                    held: dict[Any, list[Decimal]] = {}
                    for r in await session.scalars(select(Reservation)):
                        held.setdefault(r.demand_id, [D(0), D(0)])[0] += r.quantity
                    for c in await session.scalars(select(Claim)):
                        held.setdefault(c.demand_id, [D(0), D(0)])[1] += c.quantity
                    return levels, held, await stock.verify_levels(session, self.tenant)

            levels, held, differences = run(read())
            assert differences == []
            for loc in self.locs:
                on_hand, reserved, claimed = levels.get(loc, (D(0), D(0), D(0)))
                expected = (self.on_hand[loc], self.reserved(loc), self.claimed(loc))
                assert (on_hand, reserved, claimed) == expected
                assert on_hand >= 0 and 0 <= reserved <= on_hand
                assert claimed == 0 or reserved == on_hand  # free stock never idles
            self.drop_empty()
            assert held == {d: [h[1], h[2]] for d, h in self.held.items()}

    try:
        Ledger.TestCase.settings = hypothesis_settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        Ledger.TestCase().runTest()
    finally:
        run(runtime.db.dispose())
        loop.close()
