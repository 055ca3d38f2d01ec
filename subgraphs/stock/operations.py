"""What other domains and stock's own mutations do to stock: reserve and release for a
demand, deliver and consume out of stock, receive, produce and take returns into it,
transfer between locations and adjust to a count. Each builds a `ledger.Plan` and runs it
atomically; problems name paths relative to the operation's arguments."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.stock import claims, reserving, valuation
from subgraphs.stock.ledger import (
    CountLine,
    DemandLine,
    DocumentRef,
    InsufficientStock,
    Key,
    Move,
    Paths,
    Plan,
    Shortfall,
    SupplyLine,
    atomically,
    execute,
    holds_locks,
    lock_levels,
    mark_locked,
    reservations,
    validate,
)
from subgraphs.stock.models import ZERO, Claim, CostAdjustment, LocationKind, StockMove, q4
from subgraphs.stock.replenishment import evaluate_low_stock
from subgraphs.stock.warehouses import virtual_location

T = TypeVar("T")

_ANY_PLACES = 28
"""As many decimal places as a Decimal holds by default."""


def _line(i: int, *, quantity: str = "quantity", side: str) -> Paths:
    at = f"lines.{i}"
    return Paths(
        quantity=f"{at}.{quantity}",
        product=f"{at}.productId",
        from_location=f"{at}.locationId" if side == "from" else None,
        to_location=f"{at}.locationId" if side == "to" else None,
    )


# --- demands: reserve, release, deliver, consume ------------------------------------


async def _hot(session: AsyncSession, op: Callable[[], Awaitable[T]]) -> T:
    """Run a hot-path operation. Its locks are taken in the global order by one statement,
    so as the transaction's first stock operation it cannot deadlock with another and
    runs without a savepoint (two round trips fewer); after earlier stock locks in the same
    transaction it runs `atomically`, so a deadlock is retried."""
    if holds_locks(session):
        return await atomically(session, op)
    result = await op()
    mark_locked(session)
    return result


async def reserve(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    backorder: bool = False,
) -> list[reserving.Allocation]:
    """Reserve every line or none; raises `InsufficientStock` naming each shortfall at
    `lines.{i}.quantity`. With `backorder`, reserve what is free and leave the rest of
    each line as an open claim, served first when stock arrives. Either way a new demand
    only takes stock no older claim waits for. One statement when the levels exist."""
    checks = Checks()
    for i, line in enumerate(lines):
        checks.positive(f"lines.{i}.quantity", line.quantity)
    checks.raise_any()
    merged, first = reserving.merge(lines)
    if not merged:
        return []

    async def run() -> list[reserving.Allocation]:
        decision = await reserving.reserve_statement(
            session, tenant, demand=demand, lines=merged, backorder=backorder
        )
        if decision.unknown:
            # A level that never held stock: report unknown or unstockable products and
            # non-warehouse locations first; a backorder then creates it and claims.
            probe = Plan()
            for i, ln in zip(first, merged, strict=True):
                key = (ln.product_id, ln.location_id)
                probe.reserved[key] = ZERO
                probe.paths.setdefault(key, _line(i, side="from"))
            await validate(session, tenant, probe)
            if backorder:
                await lock_levels(session, tenant, decision.unknown, create=decision.unknown)
                decision = await reserving.reserve_statement(
                    session, tenant, demand=demand, lines=merged, backorder=backorder
                )
        if not decision.ok:
            raise InsufficientStock(*_shortfalls(merged, first, decision.free))
        if decision.watched:
            where = await reserving.warehouses_of(session, tenant, decision.free_locations())
            await evaluate_low_stock(
                session, tenant, {(p, where[loc]) for p, loc in decision.free if loc in where}
            )
        return decision.allocations

    return await _hot(session, run)


def _shortfalls(
    merged: Sequence[DemandLine], first: Sequence[int], free: dict[Key, Decimal]
) -> tuple[list[Shortfall], dict[Key, str]]:
    requested: dict[Key, Decimal] = {}
    fields: dict[Key, str] = {}
    for i, ln in zip(first, merged, strict=True):
        key = (ln.product_id, ln.location_id)
        requested[key] = requested.get(key, ZERO) + ln.quantity
        fields.setdefault(key, f"lines.{i}.quantity")
    return [
        Shortfall(k[0], k[1], q, free.get(k, ZERO))
        for k, q in requested.items()
        if q > free.get(k, ZERO)
    ], fields


async def release(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[str] | None = None,
) -> Decimal:
    """Give back what `demand` (or only its `lines`) holds, reservations and open claims;
    returns the reserved quantity freed. Freed stock goes to other demands' oldest claims."""

    async def run() -> Decimal:
        if not await reserving.lock_held(session, tenant, demand=demand, lines=lines):
            return ZERO
        levels, freed, watched = await reserving.release_statement(
            session, tenant, demand=demand, lines=lines
        )
        before = {k: (v.reserved, v.claimed) for k, v in levels.items()}
        await claims.fill(session, tenant, levels, levels)
        await reserving.store_levels(
            session,
            tenant,
            levels,
            [k for k, v in levels.items() if (v.reserved, v.claimed) != before[k]],
        )
        if watched:
            where = await reserving.warehouses_of(session, tenant, {k[1] for k in levels})
            await evaluate_low_stock(
                session, tenant, {(p, where[loc]) for p, loc in levels if loc in where}
            )
        return freed

    return await _hot(session, run)


async def _take(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    to_kind: LocationKind,
    actor: uuid.UUID | None,
) -> list[StockMove]:
    checks = Checks()
    for i, line in enumerate(lines):
        checks.positive(f"lines.{i}.quantity", line.quantity)
    checks.raise_any()

    async def run() -> list[StockMove]:
        target = await virtual_location(session, tenant, to_kind)
        wanted = {ln.line for ln in lines}
        # The demand's reservations sit at the lines' levels: lock those, then read them.
        locked = await lock_levels(
            session, tenant, {(ln.product_id, ln.location_id) for ln in lines}
        )
        held = await reservations(session, tenant, demand, wanted)
        by_key = {(r.demand_line, r.product_id, r.location_id): r for r in held}
        remaining = {r.id: r.quantity for r in held}
        waiting: dict[tuple[str, uuid.UUID, uuid.UUID], Claim] = {}
        if any(level.claimed > 0 for level in locked.values()):
            waiting = {
                (c.demand_line, c.product_id, c.location_id): c
                for c in await claims.claims_of(session, tenant, demand, wanted)
            }
        open_claims = {c.id: c.quantity for c in waiting.values()}
        plan = Plan()
        for i, line in enumerate(lines):
            plan.moves.append(
                Move(
                    line.product_id,
                    line.location_id,
                    target,
                    line.quantity,
                    _line(i, side="from"),
                    source=demand,
                    line=line.line,
                    internal_from=True,
                )
            )
            r = by_key.get((line.line, line.product_id, line.location_id))
            used = ZERO
            if r is not None:
                used = min(remaining[r.id], line.quantity)
                remaining[r.id] -= used
                plan.consume_rows[r.id] = remaining[r.id]
                plan.reserved[(line.product_id, line.location_id)] -= used
            c = waiting.get((line.line, line.product_id, line.location_id))
            if c is not None and line.quantity > used:
                # Taken from free stock beyond the reservation: the line waits for less.
                settled = min(open_claims[c.id], line.quantity - used)
                open_claims[c.id] -= settled
                plan.claim_rows[c.id] = open_claims[c.id]
                plan.claimed[(line.product_id, line.location_id)] -= settled
        kind = "delivery" if to_kind == LocationKind.CUSTOMER else "consumption"
        metrics.count(session, metrics.STOCK_MOVES, kind, amount=len(plan.moves))
        return await execute(session, tenant, plan, actor=actor)

    return await atomically(session, run)


async def deliver(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    actor: uuid.UUID | None = None,
) -> list[StockMove]:
    """Done moves to the customer, consuming the demand's reservation first; partial
    quantities are fine, and any excess over the reservation needs free stock."""
    return await _take(
        session, tenant, demand=demand, lines=lines, to_kind=LocationKind.CUSTOMER, actor=actor
    )


async def consume(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    actor: uuid.UUID | None = None,
) -> list[StockMove]:
    """`deliver`, but into production (components consumed by a production order)."""
    return await _take(
        session, tenant, demand=demand, lines=lines, to_kind=LocationKind.PRODUCTION, actor=actor
    )


# --- supplies: receive, return, produce ---------------------------------------------


async def _supply(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: DocumentRef | None,
    lines: Sequence[SupplyLine],
    from_kind: LocationKind,
    actor: uuid.UUID | None,
) -> list[StockMove]:
    checks = Checks()
    for i, line in enumerate(lines):
        # Any number of places: a computed unit cost is rounded as numeric(18,4) stores it.
        checks.non_negative(f"lines.{i}.unitCost", line.unit_cost, decimals=_ANY_PLACES)
    checks.raise_any()

    async def run() -> list[StockMove]:
        origin = await virtual_location(session, tenant, from_kind)
        plan = Plan(revalue=True)
        for i, line in enumerate(lines):
            plan.moves.append(
                Move(
                    line.product_id,
                    origin,
                    line.location_id,
                    line.quantity,
                    _line(i, side="to"),
                    unit_cost=q4(line.unit_cost),
                    source=source,
                    internal_to=True,
                )
            )
        kinds = {LocationKind.SUPPLIER: "receipt", LocationKind.CUSTOMER: "return"}
        kind = kinds.get(from_kind, "production")
        metrics.count(session, metrics.STOCK_MOVES, kind, amount=len(plan.moves))
        return await execute(session, tenant, plan, actor=actor)

    return await atomically(session, run)


async def receive(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: DocumentRef | None,
    lines: Sequence[SupplyLine],
    actor: uuid.UUID | None = None,
) -> list[StockMove]:
    """Done moves from the supplier; each product's average cost absorbs the receipt."""
    return await _supply(
        session, tenant, source=source, lines=lines, from_kind=LocationKind.SUPPLIER, actor=actor
    )


async def return_from_customer(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: DocumentRef | None,
    lines: Sequence[SupplyLine],
    actor: uuid.UUID | None = None,
) -> list[StockMove]:
    """Goods a customer sends back: done moves from the CUSTOMER location, the reverse of a
    delivery. Valued at `unit_cost` (callers pass the current average to keep it)."""
    return await _supply(
        session, tenant, source=source, lines=lines, from_kind=LocationKind.CUSTOMER, actor=actor
    )


async def produce(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: DocumentRef | None,
    lines: Sequence[SupplyLine],
    actor: uuid.UUID | None = None,
) -> list[StockMove]:
    """Finished goods out of production, valued at `unit_cost` like a receipt."""
    return await _supply(
        session,
        tenant,
        source=source,
        lines=lines,
        from_kind=LocationKind.PRODUCTION,
        actor=actor,
    )


# --- inside the company: transfer, adjust -------------------------------------------


async def transfer(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    quantity: Decimal,
    actor: uuid.UUID | None = None,
) -> StockMove:
    """Move free (unreserved) stock between two internal locations."""
    move = Move(
        product_id,
        from_location_id,
        to_location_id,
        quantity,
        Paths("quantity", "productId", "fromLocationId", "toLocationId"),
        internal_from=True,
        internal_to=True,
    )
    plan = Plan(moves=[move])

    async def run() -> StockMove:
        metrics.count(session, metrics.STOCK_MOVES, "transfer")
        return (await execute(session, tenant, plan, actor=actor))[0]

    return await atomically(session, run)


async def adjust(
    session: AsyncSession,
    tenant: TenantId,
    *,
    location_id: uuid.UUID,
    lines: Sequence[CountLine],
    actor: uuid.UUID | None = None,
    source: DocumentRef | None = None,
    reason: str | None = None,
) -> Adjustment:
    """Make the location's on-hand equal the counts, posting the differences to or from
    the ADJUSTMENT location at the product's current cost (the average is unchanged), or,
    for an increase whose line has a `unit_cost` (an opening balance), at that cost,
    averaged in like a receipt. `reason` is stored on every move.

    A count is a fact: one below the reserved quantity is posted too. The reservations it
    breaks shrink newest demand first (the oldest keeps its reservation), and what each
    demand lost becomes an open claim, dated at its reservation so it keeps its place in
    the queue; `Adjustment.broken` names them."""
    broken: list[claims.BrokenReservation] = []
    checks = Checks()
    reason = checks.optional("reason", reason)
    for i, line in enumerate(lines):
        checks.non_negative(f"lines.{i}.countedQuantity", line.counted_quantity)
        if line.unit_cost is not None:
            checks.non_negative(f"lines.{i}.unitCost", line.unit_cost)
    if len({ln.product_id for ln in lines}) != len(lines):
        checks.add("lines", Code.DUPLICATE, "Count each product once")
    checks.raise_any()

    def paths(i: int, *, to: bool = False) -> Paths:
        where = "locationId"
        at = f"lines.{i}"
        return Paths(
            f"{at}.countedQuantity",
            f"{at}.productId",
            from_location=None if to else where,
            to_location=where if to else None,
        )

    async def run() -> list[StockMove]:
        adjustment = await virtual_location(session, tenant, LocationKind.ADJUSTMENT)
        # Validate products and the location before reading any level.
        probe = Plan()
        for i, ln in enumerate(lines):
            probe.reserved[(ln.product_id, location_id)] = ZERO
            probe.paths[(ln.product_id, location_id)] = paths(i)
        await validate(session, tenant, probe)
        levels = await lock_levels(session, tenant, {(ln.product_id, location_id) for ln in lines})
        plan = Plan()
        broken.clear()  # a retried attempt starts over
        await claims.break_reservations(session, tenant, plan, levels, lines, location_id, broken)
        for i, ln in enumerate(lines):
            diff = ln.counted_quantity - levels[(ln.product_id, location_id)].on_hand
            if diff > 0:
                plan.moves.append(
                    Move(
                        ln.product_id,
                        adjustment,
                        location_id,
                        diff,
                        paths(i, to=True),
                        unit_cost=None if ln.unit_cost is None else q4(ln.unit_cost),
                        source=source,
                        reason=reason,
                    )
                )
                plan.revalue = plan.revalue or ln.unit_cost is not None
            elif diff < 0:
                plan.moves.append(
                    Move(
                        ln.product_id,
                        location_id,
                        adjustment,
                        -diff,
                        paths(i),
                        source=source,
                        reason=reason,
                    )
                )
        if not plan.moves:
            return []
        metrics.count(session, metrics.STOCK_MOVES, "adjustment", amount=len(plan.moves))
        return await execute(session, tenant, plan, actor=actor)

    moves = await atomically(session, run)
    await audit.record(
        session,
        tenant,
        action=audit.Action.STOCK_ADJUSTED,
        target_type="Location",
        target_id=location_id,
        after={
            "counted": {str(ln.product_id): ln.counted_quantity for ln in lines},
            "moves": [{"productId": m.product_id, "quantity": m.quantity} for m in moves],
            "brokenReservations": [
                {
                    "demandType": b.demand.type,
                    "demandId": b.demand.id,
                    "demandLine": b.demand_line,
                    "productId": b.product_id,
                    "lost": b.lost,
                }
                for b in broken
            ],
        },
        actor_id=actor,
    )
    return Adjustment(moves, broken)


class Adjustment(list[StockMove]):
    """The moves of a count (it is their list), and the reservations it broke."""

    def __init__(self, moves: Sequence[StockMove], broken: Sequence[claims.BrokenReservation]):
        super().__init__(moves)
        self.broken = list(broken)


# --- cost: revalue what is on hand ---------------------------------------------------


async def revalue(
    session: AsyncSession,
    tenant: TenantId,
    *,
    product_id: uuid.UUID,
    value_change: Decimal,
    quantity: Decimal,
    source: DocumentRef,
    actor: uuid.UUID | None = None,
) -> Decimal:
    """Spread `value_change` (base currency, + or -) for `quantity` units over what is
    still on hand: of it, min(on hand, quantity) / quantity stays in stock, the rest left
    with goods already issued. New average = (Q x C + value_change x min(Q, quantity) /
    quantity) / Q, rounded once; never below zero. Nothing on hand: the cost is unchanged
    and nothing is recorded. Returns the product's cost afterwards; every change is a
    `cost_adjustment` row."""
    checks = Checks()
    checks.positive("quantity", quantity)
    if not value_change.is_finite():
        checks.add("valueChange", Code.OUT_OF_RANGE, "Must be a finite amount")
    checks.raise_any()

    async def run() -> Decimal:
        holdings = await valuation.lock_holdings(session, tenant, {product_id})
        if product_id not in holdings:
            raise not_found("productId", "product")
        on_hand, cost = holdings[product_id]
        if on_hand <= 0 or value_change == 0:
            return cost
        kept = value_change * min(on_hand, quantity) / quantity
        new_cost = max(q4((on_hand * cost + kept) / on_hand), ZERO)
        limits = Checks()
        limits.storable("valueChange", value_change, "The value change")
        limits.storable("valueChange", new_cost, "The product's new average cost")
        limits.raise_any()
        await valuation.set_costs(session, tenant, {product_id: new_cost})
        session.add(
            CostAdjustment(
                tenant_id=tenant,
                id=uuid.uuid4(),
                product_id=product_id,
                source_type=source.type,
                source_id=source.id,
                value_change=q4(value_change),
                quantity=q4(quantity),
                on_hand=on_hand,
                old_cost=cost,
                new_cost=new_cost,
                done_by=actor,
            )
        )
        await session.flush()
        return new_cost

    return await atomically(session, run)
