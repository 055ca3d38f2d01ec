"""Dataloaders and batch look-ups: every load of a tick becomes one statement, missing
keys get the default, one loader instance per request and name, and look-ups never cross
tenants."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event

from shared import batch
from shared.context import RequestContext, Runtime
from shared.db import TenantId
from shared.graphql.http import build_context
from shared.loaders import loader
from shared.outbox import OutboxEvent, emit
from tests.conftest import TenantHandle


async def _events(runtime: Runtime, tenant: TenantHandle, n: int) -> list[uuid.UUID]:
    async with runtime.db.transaction(tenant.id) as session:
        return [
            (
                await emit(
                    session,
                    tenant.id,
                    type=f"kind-{i % 2}",
                    aggregate_type="Test",
                    aggregate_id=uuid.uuid4(),
                    payload={},
                )
            ).id
            for i in range(n)
        ]


async def _context(runtime: Runtime, tenant: TenantHandle) -> RequestContext:
    return await build_context(runtime, {"authorization": f"Bearer {tenant.token}"})


class StatementCounter:
    def __init__(self, runtime: Runtime) -> None:
        self.engine = runtime.db.engine.sync_engine
        self.count = 0

    def _on(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


async def test_loads_of_one_tick_are_one_statement(runtime: Runtime, tenant: TenantHandle) -> None:
    ids = await _events(runtime, tenant, 5)
    ctx = await _context(runtime, tenant)
    calls: list[Sequence[uuid.UUID]] = []

    async def by_id(session: Any, t: TenantId, keys: Sequence[uuid.UUID]) -> dict[Any, Any]:
        calls.append(list(keys))
        return await batch.by_id(session, OutboxEvent, t, keys)

    events = loader(ctx, "test.events", by_id)
    missing = uuid.uuid4()
    with StatementCounter(runtime) as counter:
        found = await asyncio.gather(*(events.load(i) for i in [*ids, missing]))
        counted = counter.count
    found_ids = [None if e is None else e.id for e in found]
    await ctx.close()
    assert found_ids == [*ids, None]
    assert len(calls) == 1
    # The read transaction's opening (isolation, tenant binding) plus one look-up.
    assert counted <= 3


async def test_one_instance_per_request_and_name(runtime: Runtime, tenant: TenantHandle) -> None:
    ctx = await _context(runtime, tenant)

    async def nothing(session: Any, t: TenantId, keys: Sequence[int]) -> dict[int, int]:
        return {}

    assert loader(ctx, "a", nothing) is loader(ctx, "a", nothing)
    assert loader(ctx, "a", nothing) is not loader(ctx, "b", nothing)
    other = await _context(runtime, tenant)
    assert loader(other, "a", nothing) is not loader(ctx, "a", nothing)


async def test_grouped_look_up_and_default(runtime: Runtime, tenant: TenantHandle) -> None:
    await _events(runtime, tenant, 4)
    ctx = await _context(runtime, tenant)

    async def by_kind(session: Any, t: TenantId, kinds: Sequence[str]) -> dict[str, list[Any]]:
        return await batch.grouped_by(
            session, OutboxEvent, t, OutboxEvent.type, kinds, order_by=[OutboxEvent.id]
        )

    kinds = loader(ctx, "test.kinds", by_kind, default=list)
    zero, one, none = await asyncio.gather(
        kinds.load("kind-0"), kinds.load("kind-1"), kinds.load("no-such-kind")
    )
    zero_ids = [e.id for e in zero]
    await ctx.close()
    assert len(zero) == 2 and len(one) == 2 and none == []
    assert zero_ids == sorted(zero_ids)


async def test_look_ups_stay_in_the_tenant(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    theirs = await _events(runtime, other_tenant, 2)
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        assert await batch.by_id(session, OutboxEvent, tenant.id, theirs) == {}
        assert await batch.by_id(session, OutboxEvent, tenant.id, []) == {}
