"""Keyset pagination: cursors round-trip every key type, bad cursors and page sizes are
typed errors, and pages over real rows neither skip nor repeat."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.context import Runtime
from shared.errors import BadUserInput
from shared.outbox import OutboxEvent, emit
from shared.pagination import (
    MAX_PAGE_SIZE,
    SortKey,
    check_first,
    decode_cursor,
    encode_cursor,
    paginate,
)
from tests.conftest import TenantHandle


def test_cursor_round_trips_every_key_type() -> None:
    values = [
        uuid.uuid4(),
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.date(2026, 12, 1),
        Decimal("12.3400"),
        "Größe ünd ☃",
        True,
        42,
    ]
    assert decode_cursor(encode_cursor(values), len(values)) == values


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", encode_cursor([1, 2])])
def test_a_bad_cursor_is_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(cursor, 1)


def test_a_cursor_cannot_carry_an_unknown_type() -> None:
    with pytest.raises(TypeError):
        encode_cursor([object()])


def test_page_size_bounds() -> None:
    assert check_first(None) == 20
    assert check_first(0) == 0
    assert check_first(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
    for bad in (-1, MAX_PAGE_SIZE + 1):
        with pytest.raises(BadUserInput):
            check_first(bad)


async def test_pages_walk_every_row_once_in_mixed_order(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        for i in range(7):
            await emit(
                session,
                tenant.id,
                type=f"t{i % 3}",
                aggregate_type="Test",
                aggregate_id=uuid.uuid4(),
                payload={},
            )
    keys = [SortKey(OutboxEvent.type, descending=True), SortKey(OutboxEvent.id)]
    seen: list[tuple[str, uuid.UUID]] = []
    after = None
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        while True:
            page = await paginate(
                session,
                select(OutboxEvent).where(OutboxEvent.aggregate_type == "Test"),
                keys=keys,
                key_of=lambda e: (e.type, e.id),
                first=3,
                after=after,
            )
            assert page.total_count == 7
            seen += [(e.type, e.id) for e in page.rows]
            if not page.has_next_page:
                break
            after = page.cursors[-1]
    assert len(seen) == 7
    assert seen == sorted(seen, key=lambda k: (-ord(k[0][1]), k[1]))
