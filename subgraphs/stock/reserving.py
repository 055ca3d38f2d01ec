"""Reserve and release on the hot path, one SQL statement each where the rules allow.

`reserve_statement` is one statement for any number of lines: it locks the levels in the
ledger's global order ((product_id, location_id), `ORDER BY ... FOR UPDATE`), decides on
the locked rows, and only if every line passes (or the caller backorders) raises
`reserved` (and `claimed`), upserts the reservation rows and the claim rows; it also says
whether a reorder rule watches a touched level, so the low-stock evaluation runs only
then. Nothing is written when it refuses. The levels' CHECKs stay the backstop.
`release_statement` drops a demand's reservations and claims and lowers its levels in one
statement, after `lock_held` locked them in the global order. Claims and the queueing
rule: `subgraphs.stock.claims`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import DriverStatement, TenantId
from subgraphs.stock.models import ZERO, Location, StockLevel

if TYPE_CHECKING:
    from subgraphs.stock.ledger import DemandLine, DocumentRef, Key, Level


@dataclass(frozen=True, slots=True)
class Allocation:
    """What one demand line got: `reserved` now, `claimed` left open as a backorder."""

    line: str
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    reserved: Decimal
    claimed: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    """The statement's answer: per merged line, the free quantity it saw and whether the
    level exists; `ok` says whether it wrote; `watched` whether a reorder rule covers any
    touched (product, warehouse), so the low-stock evaluation is needed."""

    allocations: list[Allocation]
    free: dict[Key, Decimal]
    unknown: set[Key]
    ok: bool
    watched: bool

    def free_locations(self) -> set[uuid.UUID]:
        return {loc for _, loc in self.free}


RESERVE = DriverStatement(
    """
WITH v AS (
    SELECT * FROM unnest(
        CAST(:lines AS text[]), CAST(:products AS uuid[]), CAST(:locations AS uuid[]),
        CAST(:quantities AS numeric[])
    ) WITH ORDINALITY AS v(line, product_id, location_id, quantity, n)
),
locked AS MATERIALIZED (
    SELECT s.product_id, s.location_id, greatest(s.on_hand - s.reserved - s.claimed, 0) AS free
    FROM stock.stock_level s
    WHERE s.tenant_id = :tenant
      AND (s.product_id, s.location_id) IN (SELECT product_id, location_id FROM v)
    ORDER BY s.product_id, s.location_id
    FOR UPDATE
),
alloc AS MATERIALIZED (
    SELECT v.n, v.line, v.product_id, v.location_id, v.quantity, coalesce(l.free, 0) AS free,
           l.product_id IS NOT NULL AS known,
           least(v.quantity, greatest(
               coalesce(l.free, 0) - (sum(v.quantity) OVER w - v.quantity), 0)) AS take
    FROM v LEFT JOIN locked l ON l.product_id = v.product_id AND l.location_id = v.location_id
    WINDOW w AS (PARTITION BY v.product_id, v.location_id ORDER BY v.n)
),
go AS (
    SELECT bool_and(known) AND (CAST(:backorder AS boolean) OR bool_and(take = quantity)) AS ok
    FROM alloc
),
lv AS (
    SELECT product_id, location_id, sum(take) AS took, sum(quantity - take) AS short
    FROM alloc WHERE (SELECT ok FROM go) GROUP BY product_id, location_id
),
upd AS (
    UPDATE stock.stock_level s
    SET reserved = s.reserved + lv.took, claimed = s.claimed + lv.short
    FROM lv
    WHERE s.tenant_id = :tenant AND s.product_id = lv.product_id
      AND s.location_id = lv.location_id
    RETURNING s.product_id
),
res AS (
    INSERT INTO stock.reservation AS r
        (tenant_id, id, demand_type, demand_id, demand_line, product_id, location_id, quantity,
         created_at)
    SELECT :tenant, gen_random_uuid(), :demand_type, :demand_id, line, product_id, location_id,
           take, clock_timestamp()
    FROM alloc WHERE take > 0 AND (SELECT ok FROM go)
    ON CONFLICT (tenant_id, demand_type, demand_id, demand_line, product_id, location_id)
    DO UPDATE SET quantity = r.quantity + excluded.quantity
    RETURNING r.id
),
cl AS (
    INSERT INTO stock.claim AS c
        (tenant_id, id, demand_type, demand_id, demand_line, product_id, location_id, quantity,
         created_at)
    SELECT :tenant, gen_random_uuid(), :demand_type, :demand_id, line, product_id, location_id,
           quantity - take, clock_timestamp()
    FROM alloc WHERE quantity > take AND (SELECT ok FROM go)
    ON CONFLICT (tenant_id, demand_type, demand_id, demand_line, product_id, location_id)
    DO UPDATE SET quantity = c.quantity + excluded.quantity
    RETURNING c.id
)
SELECT a.n, a.free, a.known, a.take, (SELECT ok FROM go) AS ok,
       EXISTS (
           SELECT 1 FROM stock.reorder_rule rr
           JOIN stock.location loc
             ON loc.tenant_id = rr.tenant_id AND loc.warehouse_id = rr.warehouse_id
           WHERE rr.tenant_id = :tenant
             AND (rr.product_id, loc.id) IN (SELECT product_id, location_id FROM v)
       ) AS watched
FROM alloc a ORDER BY a.n
"""
)


def merge(lines: Sequence[DemandLine]) -> tuple[list[DemandLine], list[int]]:
    """One line per (line, product, location), quantities summed, in first-seen order (an
    upsert may touch a row once per statement); and for each the caller's first index."""
    merged: dict[tuple[str, uuid.UUID, uuid.UUID], Decimal] = {}
    first: dict[tuple[str, uuid.UUID, uuid.UUID], int] = {}
    for i, ln in enumerate(lines):
        key = (ln.line, ln.product_id, ln.location_id)
        merged[key] = merged.get(key, ZERO) + ln.quantity
        first.setdefault(key, i)
    from subgraphs.stock.ledger import DemandLine

    return [DemandLine(k[0], k[1], k[2], q) for k, q in merged.items()], list(first.values())


def reserve_params(
    tenant: TenantId, demand: DocumentRef, lines: Sequence[DemandLine], backorder: bool
) -> dict[str, Any]:
    """`RESERVE`'s parameters for merged `lines` (`bench/stock.py` runs it bare too)."""
    return {
        "tenant": tenant,
        "demand_type": demand.type,
        "demand_id": demand.id,
        "backorder": backorder,
        "lines": [ln.line for ln in lines],
        "products": [ln.product_id for ln in lines],
        "locations": [ln.location_id for ln in lines],
        "quantities": [ln.quantity for ln in lines],
    }


async def reserve_statement(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    backorder: bool,
) -> Decision:
    """Run the reservation statement on merged `lines` (see the module docstring)."""
    rows = await RESERVE.fetch(session, **reserve_params(tenant, demand, lines, backorder))
    allocations = []
    free: dict[Key, Decimal] = {}
    unknown: set[Key] = set()
    for ln, row in zip(lines, rows, strict=True):
        key = (ln.product_id, ln.location_id)
        free[key] = row["free"]
        if not row["known"]:
            unknown.add(key)
        allocations.append(
            Allocation(
                ln.line,
                ln.product_id,
                ln.location_id,
                ln.quantity,
                row["take"],
                ln.quantity - row["take"],
            )
        )
    ok = bool(rows) and bool(rows[0]["ok"])
    watched = bool(rows) and bool(rows[0]["watched"])
    return Decision(allocations, free, unknown, ok, watched)


async def warehouses_of(
    session: AsyncSession, tenant: TenantId, locations: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Internal location -> its warehouse."""
    rows = await session.execute(
        select(Location.id, Location.warehouse_id).where(
            Location.tenant_id == tenant, Location.id.in_(set(locations))
        )
    )
    return {loc: wh for loc, wh in rows.all() if wh is not None}


_RELEASE = DriverStatement(
    """
WITH r AS (
    DELETE FROM stock.reservation
    WHERE tenant_id = :tenant AND demand_type = :demand_type AND demand_id = :demand_id
      AND (CAST(:every AS boolean) OR demand_line = ANY(CAST(:lines AS text[])))
    RETURNING product_id, location_id, quantity
),
c AS (
    DELETE FROM stock.claim
    WHERE tenant_id = :tenant AND demand_type = :demand_type AND demand_id = :demand_id
      AND (CAST(:every AS boolean) OR demand_line = ANY(CAST(:lines AS text[])))
    RETURNING product_id, location_id, quantity
),
sums AS (
    SELECT product_id, location_id, sum(rq) AS rq, sum(cq) AS cq FROM (
        SELECT product_id, location_id, quantity AS rq, 0 AS cq FROM r
        UNION ALL SELECT product_id, location_id, 0, quantity FROM c
    ) x GROUP BY product_id, location_id
)
UPDATE stock.stock_level s
SET reserved = s.reserved - sums.rq, claimed = s.claimed - sums.cq
FROM sums
WHERE s.tenant_id = :tenant AND s.product_id = sums.product_id
  AND s.location_id = sums.location_id
RETURNING s.product_id, s.location_id, s.on_hand, s.reserved, s.claimed, sums.rq,
    EXISTS (
        SELECT 1 FROM stock.reorder_rule rr
        JOIN stock.location loc
          ON loc.tenant_id = rr.tenant_id AND loc.warehouse_id = rr.warehouse_id
        WHERE rr.tenant_id = :tenant AND rr.product_id = s.product_id
          AND loc.id = s.location_id
    ) AS watched
"""
)


async def release_statement(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[str] | None,
) -> tuple[dict[Key, Level], Decimal, bool]:
    """Drop the reservations and claims of `demand` (or of its `lines`) and take them off
    their levels, in one statement; the caller holds the levels' locks. Returns the
    levels after it, the reserved quantity freed and whether a reorder rule watches any."""
    from subgraphs.stock.ledger import Level

    rows = await _RELEASE.fetch(
        session,
        tenant=tenant,
        demand_type=demand.type,
        demand_id=demand.id,
        every=lines is None,
        lines=list(lines or ()),
    )
    levels = {
        (r["product_id"], r["location_id"]): Level(r["on_hand"], r["reserved"], r["claimed"])
        for r in rows
    }
    return levels, sum((r["rq"] for r in rows), ZERO), any(r["watched"] for r in rows)


_HELD = DriverStatement(
    """
SELECT s.product_id, s.location_id, s.on_hand, s.reserved, s.claimed
FROM stock.stock_level s
WHERE s.tenant_id = :tenant AND (s.product_id, s.location_id) IN (
    SELECT product_id, location_id FROM stock.reservation
    WHERE tenant_id = :tenant AND demand_type = :demand_type AND demand_id = :demand_id
      AND (CAST(:every AS boolean) OR demand_line = ANY(CAST(:lines AS text[])))
    UNION
    SELECT product_id, location_id FROM stock.claim
    WHERE tenant_id = :tenant AND demand_type = :demand_type AND demand_id = :demand_id
      AND (CAST(:every AS boolean) OR demand_line = ANY(CAST(:lines AS text[])))
)
ORDER BY s.product_id, s.location_id
FOR UPDATE OF s
"""
)


async def lock_held(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[str] | None,
) -> int:
    """Lock, in the global order, the levels `demand` (or its `lines`) holds reservations
    or claims at; returns how many. A writer of either holds the level's lock, so what
    the demand holds cannot change once this returns."""
    rows = await _HELD.fetch(
        session,
        tenant=tenant,
        demand_type=demand.type,
        demand_id=demand.id,
        every=lines is None,
        lines=list(lines or ()),
    )
    return len(rows)


async def store_levels(
    session: AsyncSession, tenant: TenantId, levels: dict[Key, Level], keys: Iterable[Key]
) -> None:
    """Write the reserved and claimed quantities of `levels` at `keys` (locked by us)."""
    rows = [
        {
            "tenant_id": tenant,
            "product_id": p,
            "location_id": loc,
            "reserved": levels[(p, loc)].reserved,
            "claimed": levels[(p, loc)].claimed,
        }
        for p, loc in sorted(set(keys))
    ]
    if rows:
        await session.execute(update(StockLevel), rows)
