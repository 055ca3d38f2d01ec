"""The ledger check behind `nexo stock verify`: every stored level recomputed from the
done moves, the reservations and the claims. There should never be a difference."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.stock.models import (
    ZERO,
    Claim,
    Location,
    MoveState,
    Reservation,
    StockLevel,
    StockMove,
)


@dataclass(frozen=True, slots=True)
class LevelDifference:
    tenant_id: uuid.UUID
    product_id: uuid.UUID
    location_id: uuid.UUID
    ledger_on_hand: Decimal
    level_on_hand: Decimal
    reservations: Decimal
    level_reserved: Decimal
    claims: Decimal = ZERO
    level_claimed: Decimal = ZERO


async def verify_levels(session: AsyncSession, tenant: TenantId | None) -> list[LevelDifference]:
    """Recompute every level from the done moves and the reservations and return where
    the stored levels differ (there should be none).

    With `tenant`, only that tenant; with None, every row the session can see (under RLS
    that needs a session of the owner role, or one per tenant bound with `bind_tenant`).
    """
    done = StockMove.state == MoveState.DONE
    flows = union_all(
        select(
            StockMove.tenant_id,
            StockMove.product_id,
            StockMove.to_location_id.label("location_id"),
            StockMove.quantity.label("quantity"),
        ).where(done),
        select(
            StockMove.tenant_id,
            StockMove.product_id,
            StockMove.from_location_id.label("location_id"),
            (-StockMove.quantity).label("quantity"),
        ).where(done),
    ).subquery()
    ledger = (
        select(
            flows.c.tenant_id, flows.c.product_id, flows.c.location_id, func.sum(flows.c.quantity)
        )
        .join(
            Location,
            and_(Location.tenant_id == flows.c.tenant_id, Location.id == flows.c.location_id),
        )
        .where(Location.warehouse_id.is_not(None))
        .group_by(flows.c.tenant_id, flows.c.product_id, flows.c.location_id)
    )
    held = select(
        Reservation.tenant_id,
        Reservation.product_id,
        Reservation.location_id,
        func.sum(Reservation.quantity),
    ).group_by(Reservation.tenant_id, Reservation.product_id, Reservation.location_id)
    claimed = select(
        Claim.tenant_id, Claim.product_id, Claim.location_id, func.sum(Claim.quantity)
    ).group_by(Claim.tenant_id, Claim.product_id, Claim.location_id)
    levels = select(
        StockLevel.tenant_id,
        StockLevel.product_id,
        StockLevel.location_id,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.claimed,
    )
    if tenant is not None:
        ledger = ledger.where(flows.c.tenant_id == tenant)
        held = held.where(Reservation.tenant_id == tenant)
        claimed = claimed.where(Claim.tenant_id == tenant)
        levels = levels.where(StockLevel.tenant_id == tenant)
    Triple = tuple[uuid.UUID, uuid.UUID, uuid.UUID]
    expected: dict[Triple, list[Decimal]] = defaultdict(lambda: [ZERO] * 6)
    for t, p, loc, qty in await session.execute(ledger):
        expected[(t, p, loc)][0] = qty
    for t, p, loc, qty in await session.execute(held):
        expected[(t, p, loc)][2] = qty
    for t, p, loc, qty in await session.execute(claimed):
        expected[(t, p, loc)][4] = qty
    for t, p, loc, on_hand, reserved, level_claimed in await session.execute(levels):
        expected[(t, p, loc)][1] = on_hand
        expected[(t, p, loc)][3] = reserved
        expected[(t, p, loc)][5] = level_claimed
    return [
        LevelDifference(t, p, loc, *v)
        for (t, p, loc), v in sorted(expected.items())
        if v[0] != v[1] or v[2] != v[3] or v[4] != v[5]
    ]
