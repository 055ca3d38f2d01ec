"""Claims (backorders) and the reservation rows they turn into.

A claim is an open backorder: the quantity of a demand line that no stock covered yet.
Queueing rule: a new demand may take only `on_hand - reserved - claimed`, so it queues
behind the open claims of that product and location; whenever a level gains free stock
(any done move into it, a release, a count up), `fill` reserves it to the oldest claims
first (by the claim's `created_at`, then id). Every writer of a claim holds its level's
lock, like every writer of a reservation. The hot-path statements that create claims
with reservations are in `subgraphs.stock.reserving`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import emit
from subgraphs.stock.events import StockEvent
from subgraphs.stock.models import ZERO, Claim, Reservation

if TYPE_CHECKING:
    from subgraphs.stock.ledger import CountLine, DocumentRef, Key, Level, Plan


# --- filling claims when stock frees up ---------------------------------------------


async def fill(
    session: AsyncSession, tenant: TenantId, levels: dict[Key, Level], keys: Iterable[Key]
) -> None:
    """Reserve the free stock of the locked `levels` (their values after the change being
    applied, updated here in place) to the oldest open claims of each of `keys`, and emit
    one `stock.claim_reserved` event per demand served. Reads nothing unless a level has
    both free stock and open claims."""
    room = {
        k: min(levels[k].on_hand - levels[k].reserved, levels[k].claimed)
        for k in sorted(set(keys))
        if levels[k].claimed > 0 and levels[k].on_hand > levels[k].reserved
    }
    if not room:
        return
    claims = (
        await session.scalars(
            select(Claim)
            .where(
                Claim.tenant_id == tenant,
                tuple_(Claim.product_id, Claim.location_id).in_(list(room)),
            )
            .order_by(Claim.product_id, Claim.location_id, Claim.created_at, Claim.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    served: dict[tuple[str, uuid.UUID], list[tuple[Claim, Decimal]]] = defaultdict(list)
    taken: list[tuple[Claim, Decimal]] = []
    for c in claims:
        key = (c.product_id, c.location_id)
        take = min(room[key], c.quantity)
        if take <= 0:
            continue
        room[key] -= take
        levels[key].reserved += take
        levels[key].claimed -= take
        taken.append((c, take))
        served[(c.demand_type, c.demand_id)].append((c, take))
    if not taken:
        return
    await upsert_reservations(
        session,
        tenant,
        [
            (c.demand_type, c.demand_id, c.demand_line, c.product_id, c.location_id, q)
            for c, q in taken
        ],
        [c.created_at for c, _ in taken],
    )
    done = [c.id for c, q in taken if q == c.quantity]
    if done:
        await session.execute(delete(Claim).where(Claim.tenant_id == tenant, Claim.id.in_(done)))
    for c, q in taken:
        if q < c.quantity:
            await session.execute(
                update(Claim)
                .where(Claim.tenant_id == tenant, Claim.id == c.id)
                .values(quantity=c.quantity - q)
            )
    for (demand_type, demand_id), parts in served.items():
        await emit(
            session,
            tenant,
            type=StockEvent.CLAIM_RESERVED,
            aggregate_type=demand_type,
            aggregate_id=demand_id,
            payload={
                "demandType": demand_type,
                "demandId": str(demand_id),
                "lines": [
                    {
                        "demandLine": c.demand_line,
                        "productId": str(c.product_id),
                        "locationId": str(c.location_id),
                        "reserved": str(q),
                        "stillClaimed": str(c.quantity - q),
                    }
                    for c, q in parts
                ],
            },
        )


Row = tuple[str, uuid.UUID, str, uuid.UUID, uuid.UUID, Decimal]
"""(demand type, demand id, demand line, product, location, quantity)."""


async def upsert_reservations(
    session: AsyncSession,
    tenant: TenantId,
    rows: Sequence[Row],
    since: Sequence[dt.datetime | None] = (),
) -> None:
    """Add `rows` to the reservations, one statement (rows merged by their unique key).
    `since` (per row) dates a reservation that serves a claim at the claim's time, so
    the demand keeps its place when a count later breaks reservations newest first."""
    await _upsert(session, tenant, Reservation, rows, since)


async def upsert_claims(
    session: AsyncSession,
    tenant: TenantId,
    rows: Sequence[Row],
    since: Sequence[dt.datetime | None] = (),
) -> None:
    """Add `rows` to the open claims (one statement), dated `since` where given."""
    await _upsert(session, tenant, Claim, rows, since)


async def _upsert(
    session: AsyncSession,
    tenant: TenantId,
    table: type[Reservation] | type[Claim],
    rows: Sequence[Row],
    since: Sequence[dt.datetime | None],
) -> None:
    merged: dict[tuple[str, uuid.UUID, str, uuid.UUID, uuid.UUID], Decimal] = {}
    dated: dict[tuple[str, uuid.UUID, str, uuid.UUID, uuid.UUID], dt.datetime] = {}
    for i, (t, d, line, p, loc, q) in enumerate(rows):
        merged[(t, d, line, p, loc)] = merged.get((t, d, line, p, loc), ZERO) + q
        at = since[i] if i < len(since) else None
        if at is not None:
            key = (t, d, line, p, loc)
            dated[key] = min(at, dated.get(key, at))
    if not merged:
        return
    stmt = insert(table).values(
        [
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "demand_type": t,
                "demand_id": d,
                "demand_line": line,
                "product_id": p,
                "location_id": loc,
                "quantity": q,
                "created_at": dated.get((t, d, line, p, loc), func.clock_timestamp()),
            }
            for (t, d, line, p, loc), q in merged.items()
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                "tenant_id",
                "demand_type",
                "demand_id",
                "demand_line",
                "product_id",
                "location_id",
            ],
            set_={
                "quantity": table.quantity + stmt.excluded.quantity,
                "created_at": func.least(table.created_at, stmt.excluded.created_at),
            },
        )
    )


async def claims_of(
    session: AsyncSession, tenant: TenantId, demand: DocumentRef, lines: Iterable[str] | None
) -> list[Claim]:
    """The open claims of `demand` (or only of its `lines`), read fresh."""
    stmt = select(Claim).where(
        Claim.tenant_id == tenant,
        Claim.demand_type == demand.type,
        Claim.demand_id == demand.id,
    )
    if lines is not None:
        stmt = stmt.where(Claim.demand_line.in_(list(lines)))
    return list((await session.scalars(stmt.execution_options(populate_existing=True))).all())


# --- reads ---------------------------------------------------------------------------


async def quantities_by_line(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand_type: str,
    demand_ids: Sequence[uuid.UUID],
    table: type[Reservation] | type[Claim],
) -> dict[tuple[uuid.UUID, str], Decimal]:
    """(demand id, demand line) -> the quantity reserved (`Reservation`) or still
    claimed (`Claim`, the open backorder), over all locations; one statement."""
    if not demand_ids:
        return {}
    rows = await session.execute(
        select(table.demand_id, table.demand_line, func.sum(table.quantity))
        .where(
            table.tenant_id == tenant,
            table.demand_type == demand_type,
            table.demand_id.in_(list(set(demand_ids))),
        )
        .group_by(table.demand_id, table.demand_line)
    )
    return {(d, line): q for d, line, q in rows.all()}


async def reserved_by_line(
    session: AsyncSession, tenant: TenantId, *, demand_type: str, demand_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], Decimal]:
    """(demand id, line) -> reserved quantity."""
    return await quantities_by_line(
        session, tenant, demand_type=demand_type, demand_ids=demand_ids, table=Reservation
    )


async def backordered_by_line(
    session: AsyncSession, tenant: TenantId, *, demand_type: str, demand_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], Decimal]:
    """(demand id, line) -> open backorder (claimed, not yet reserved) quantity."""
    return await quantities_by_line(
        session, tenant, demand_type=demand_type, demand_ids=demand_ids, table=Claim
    )


# --- counts below the reserved quantity ------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrokenReservation:
    """Part of a demand's reservation a count took away: `lost` is now an open claim."""

    demand: DocumentRef
    demand_line: str
    product_id: uuid.UUID
    location_id: uuid.UUID
    lost: Decimal


async def newest_reservations_at(
    session: AsyncSession, tenant: TenantId, keys: Iterable[Key]
) -> list[Reservation]:
    """The reservations at the (locked) levels `keys`, newest demand first."""
    return list(
        (
            await session.scalars(
                select(Reservation)
                .where(
                    Reservation.tenant_id == tenant,
                    tuple_(Reservation.product_id, Reservation.location_id).in_(sorted(keys)),
                )
                .order_by(Reservation.created_at.desc(), Reservation.id.desc())
                .execution_options(populate_existing=True)
            )
        ).all()
    )


async def break_reservations(
    session: AsyncSession,
    tenant: TenantId,
    plan: Plan,
    levels: dict[Key, Level],
    lines: Sequence[CountLine],
    location_id: uuid.UUID,
    broken: list[BrokenReservation],
) -> None:
    """Plan taking back what counts below the reserved quantity leave unbacked: newest
    reservations first, each lost part turned into a claim of the same demand line (dated
    at the reservation, so the demand keeps its place in the queue); `broken` names them."""
    from subgraphs.stock.ledger import DocumentRef

    excess = {
        (ln.product_id, location_id): levels[(ln.product_id, location_id)].reserved
        - ln.counted_quantity
        for ln in lines
        if ln.counted_quantity < levels[(ln.product_id, location_id)].reserved
    }
    if not excess:
        return
    for r in await newest_reservations_at(session, tenant, excess):
        key = (r.product_id, r.location_id)
        lost = min(excess[key], r.quantity)
        if lost <= 0:
            continue
        excess[key] -= lost
        plan.consume_rows[r.id] = r.quantity - lost
        plan.reserved[key] -= lost
        plan.claimed[key] += lost
        row = (r.demand_type, r.demand_id, r.demand_line, r.product_id, r.location_id, lost)
        plan.claim_adds.append((row, r.created_at))
        demand = DocumentRef(r.demand_type, r.demand_id)
        broken.append(BrokenReservation(demand, r.demand_line, *key, lost))
