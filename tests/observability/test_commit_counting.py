"""Business counters move only when the transaction that counted them commits."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import text

from shared.context import Runtime
from shared.metrics import count, on_commit

pytestmark = pytest.mark.asyncio


def _counter() -> Counter:
    return Counter("nexo_test_commits", "test", ["kind"], registry=CollectorRegistry())


def _value(counter: Counter, kind: str) -> float:
    return counter.labels(kind)._value.get()


async def test_counted_on_commit_only(runtime: Runtime) -> None:
    counter = _counter()
    async with runtime.db.sessions() as session:
        await session.execute(text("select 1"))
        count(session, counter, "a", amount=2)
        assert _value(counter, "a") == 0  # not before the commit
        await session.commit()
    assert _value(counter, "a") == 2


async def test_a_rollback_counts_nothing(runtime: Runtime) -> None:
    counter = _counter()
    async with runtime.db.sessions() as session:
        await session.execute(text("select 1"))
        count(session, counter, "a")
        await session.rollback()
        # The session goes on: a later commit does not count what was rolled back.
        await session.execute(text("select 1"))
        await session.commit()
    assert _value(counter, "a") == 0


async def test_a_failed_transaction_block_counts_nothing(runtime: Runtime) -> None:
    counter = _counter()

    async def count_then_fail() -> None:
        async with runtime.db.transaction(None) as session:
            count(session, counter, "a")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await count_then_fail()
    assert _value(counter, "a") == 0


async def test_a_rolled_back_savepoint_drops_what_it_counted(runtime: Runtime) -> None:
    """A retried attempt (stock's `atomically`) counts once."""
    counter = _counter()
    async with runtime.db.transaction(None) as session:
        count(session, counter, "outer")
        try:
            async with session.begin_nested():
                count(session, counter, "attempt")
                raise RuntimeError("deadlock, say")
        except RuntimeError:
            pass
        async with session.begin_nested():
            count(session, counter, "attempt")
            async with session.begin_nested():
                count(session, counter, "inner")
    assert (_value(counter, "outer"), _value(counter, "attempt"), _value(counter, "inner")) == (
        1,
        1,
        1,
    )


async def test_a_released_savepoint_inside_a_rolled_back_one_counts_nothing(
    runtime: Runtime,
) -> None:
    counter = _counter()
    async with runtime.db.transaction(None) as session:
        try:
            async with session.begin_nested():
                async with session.begin_nested():
                    count(session, counter, "inner")
                raise RuntimeError("the outer savepoint fails")
        except RuntimeError:
            pass
    assert _value(counter, "inner") == 0


async def test_actions_run_once(runtime: Runtime) -> None:
    ran: list[int] = []
    async with runtime.db.sessions() as session:
        await session.execute(text("select 1"))
        on_commit(session, lambda: ran.append(1))
        await session.commit()
        await session.execute(text("select 1"))
        await session.commit()
    assert ran == [1]
