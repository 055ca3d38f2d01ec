"""Property-based: random receipts, transfers, reservations, releases, deliveries and
adjustments keep the levels equal to a simple model and to the ledger, never negative."""

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
from subgraphs.stock.models import StockLevel
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
            self.reserved = {loc: D(0) for loc in self.locs}
            self.held: dict[uuid.UUID, tuple[uuid.UUID, Decimal]] = {}

        def free(self, loc: uuid.UUID) -> Decimal:
            return self.on_hand[loc] - self.reserved[loc]

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

        @rule(target=demands, loc=st.integers(0, 1), q=qty)
        def reserve(self, loc: int, q: Decimal) -> uuid.UUID:
            demand = uuid.uuid4()
            line = stock.DemandLine("1", self.site.product_id, self.locs[loc], q)
            ok = run(self.call(stock.reserve, demand=stock.DocumentRef("SO", demand), lines=[line]))
            assert ok == (q <= self.free(self.locs[loc]))
            if ok:
                self.reserved[self.locs[loc]] += q
                self.held[demand] = (self.locs[loc], q)
            return demand

        @rule(demand=consumes(demands))
        def release(self, demand: uuid.UUID) -> None:
            assert run(self.call(stock.release, demand=stock.DocumentRef("SO", demand)))
            if demand in self.held:
                loc, q = self.held.pop(demand)
                self.reserved[loc] -= q

        @rule(demand=demands, part=st.integers(1, 12))
        def deliver(self, demand: uuid.UUID, part: int) -> None:
            if demand not in self.held:
                return
            loc, q = self.held[demand]
            take = min(D(part), q)
            line = stock.DemandLine("1", self.site.product_id, loc, take)
            assert run(
                self.call(stock.deliver, demand=stock.DocumentRef("SO", demand), lines=[line])
            )
            self.on_hand[loc] -= take
            self.reserved[loc] -= take
            if take == q:
                del self.held[demand]
            else:
                self.held[demand] = (loc, q - take)

        @rule(loc=st.integers(0, 1), counted=st.integers(0, 30).map(D))
        def adjust(self, loc: int, counted: Decimal) -> None:
            where = self.locs[loc]
            line = stock.CountLine(self.site.product_id, counted)
            ok = run(self.call(stock.adjust, location_id=where, lines=[line]))
            assert ok == (counted >= self.reserved[where])
            if ok:
                self.on_hand[where] = counted

        @invariant()
        def levels_match_model_and_ledger(self) -> None:
            async def read() -> tuple[dict[uuid.UUID, tuple[Decimal, Decimal]], list[Any]]:
                async with runtime.db.transaction(self.tenant, readonly=True) as session:
                    rows = await session.execute(
                        select(StockLevel.location_id, StockLevel.on_hand, StockLevel.reserved)
                    )
                    levels = {r[0]: (r[1], r[2]) for r in rows.all()}
                    return levels, await stock.verify_levels(session, self.tenant)

            levels, differences = run(read())
            assert differences == []
            for loc in self.locs:
                on_hand, reserved = levels.get(loc, (D(0), D(0)))
                assert (on_hand, reserved) == (self.on_hand[loc], self.reserved[loc])
                assert on_hand >= 0 and 0 <= reserved <= on_hand

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
