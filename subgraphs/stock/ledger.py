"""The stock engine: every change of stock is a set of done moves plus the level (and
reservation) changes they imply, written in the caller's transaction. The operations
(`subgraphs.stock.operations`) describe a change as a `Plan`; `execute` applies it.

Correctness rests on three rules:
- levels are locked with `SELECT ... FOR UPDATE` in one global order, (product_id,
  location_id), before anything is decided, so concurrent callers queue on the rows they
  share instead of overselling and never wait on each other in a cycle;
- the decision (enough stock?) is made on the locked rows and all of an operation's
  effects are checked before the first write, so an operation applies whole or not at all;
- the database CHECKs (on hand >= 0, 0 <= reserved <= on hand) are the backstop.

Each operation runs in a savepoint (`atomically`). A deadlock between operations that the
caller chains in one transaction (locks from an earlier call cannot be ordered with a
later one) rolls back to the savepoint and is retried, so the caller never sees it.

Problems name paths relative to the operation's own arguments (`lines.2.quantity`,
`productId`); the caller re-roots them (`InvalidInput.under`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, Problem, not_found
from shared.validation import Checks
from subgraphs.stock import claims, valuation
from subgraphs.stock.models import (
    ZERO,
    Claim,
    Location,
    MoveState,
    Product,
    ProductType,
    Reservation,
    StockLevel,
    StockMove,
    q4,
)
from subgraphs.stock.replenishment import evaluate_low_stock

T = TypeVar("T")
Key = tuple[uuid.UUID, uuid.UUID]
"""(product_id, location_id): a stock level's identity and the lock order."""

_RETRIES = 5
_RETRYABLE = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


# --- the operations' value types ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """The document behind a move or a reservation, e.g. ("SalesOrder", order id)."""

    type: str
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class DemandLine:
    """A quantity a demand document needs (or takes) from one internal location."""

    line: str
    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SupplyLine:
    """A quantity arriving at an internal location at a unit cost."""

    product_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True, slots=True)
class CountLine:
    """A product's counted quantity at the location an inventory count covers."""

    product_id: uuid.UUID
    counted_quantity: Decimal
    unit_cost: Decimal | None = None
    """What a count that increases stock values the difference at (an opening balance):
    it averages into the product's cost like a receipt. None: the current average."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    product_id: uuid.UUID
    location_id: uuid.UUID
    requested: Decimal
    available: Decimal

    @property
    def missing(self) -> Decimal:
        return self.requested - self.available


class InsufficientStock(InvalidInput):
    """Not enough unreserved stock; nothing was written. Names every short product, each
    at the path of the quantity that asked for it (`fields`: level -> path, relative to
    the operation's arguments, e.g. `lines.1.quantity`)."""

    def __init__(self, shortfalls: Sequence[Shortfall], fields: dict[Key, str]) -> None:
        self.shortfalls = list(shortfalls)
        super().__init__(
            [
                Problem(
                    fields.get((s.product_id, s.location_id)),
                    Code.INSUFFICIENT_STOCK,
                    f"Product {s.product_id}: {s.requested.normalize():f} needed at location "
                    f"{s.location_id}, {s.available.normalize():f} available "
                    f"(short by {s.missing.normalize():f})",
                )
                for s in self.shortfalls
            ]
        )


# --- the plan an operation builds and `execute` applies -----------------------------


@dataclass(frozen=True, slots=True)
class Paths:
    """Where a planned change's values sit in the operation's arguments, for problems."""

    quantity: str
    product: str | None
    from_location: str | None = None
    to_location: str | None = None


@dataclass(slots=True)
class Move:
    product_id: uuid.UUID
    from_id: uuid.UUID
    to_id: uuid.UUID
    quantity: Decimal
    paths: Paths
    unit_cost: Decimal | None = None
    source: DocumentRef | None = None
    line: str | None = None
    internal_from: bool = False
    internal_to: bool = False
    reason: str | None = None


@dataclass(slots=True)
class Plan:
    moves: list[Move] = field(default_factory=list)
    # Changes of `reserved` per level, and the reservation rows behind them.
    reserved: dict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reserve_rows: list[tuple[DocumentRef, DemandLine]] = field(default_factory=list)
    consume_rows: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    # Changes of `claimed` per level, and the claim rows behind them (id -> what remains).
    claimed: dict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    claim_rows: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    # New claims (a count broke their reservations), dated at the demand's reservation.
    claim_adds: list[tuple[claims.Row, dt.datetime]] = field(default_factory=list)
    revalue: bool = False
    # Where each level's product and location were named (for `reserved` levels; moves
    # carry their own), and the quantity path a shortfall of that level is reported at.
    paths: dict[Key, Paths] = field(default_factory=dict)
    fields: dict[Key, str] = field(default_factory=dict)


@dataclass(slots=True)
class Level:
    on_hand: Decimal
    reserved: Decimal
    claimed: Decimal = ZERO


# --- running a plan -----------------------------------------------------------------


async def atomically(session: AsyncSession, op: Callable[[], Awaitable[T]]) -> T:
    """`op` in a savepoint, retried on deadlock or serialization failure."""
    for attempt in range(_RETRIES):
        try:
            async with session.begin_nested():
                return await op()
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None) or getattr(
                getattr(exc.orig, "__cause__", None), "sqlstate", None
            )
            if state not in _RETRYABLE or attempt == _RETRIES - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311
    raise AssertionError("unreachable")


async def validate(
    session: AsyncSession, tenant: TenantId, plan: Plan
) -> dict[uuid.UUID, uuid.UUID]:
    """Products exist and are stockable, locations exist (and are internal where the
    operation needs it), quantities make sense. Returns the internal locations touched,
    mapped to their warehouse."""
    checks = Checks()
    product_ids = {m.product_id for m in plan.moves} | {k[0] for k in plan.reserved}
    location_ids = {m.from_id for m in plan.moves} | {m.to_id for m in plan.moves}
    location_ids |= {k[1] for k in plan.reserved}
    products = {
        p.id: p.type
        for p in (
            await session.execute(
                select(Product.id, Product.type).where(
                    Product.tenant_id == tenant, Product.id.in_(product_ids)
                )
            )
        ).all()
    }
    locations = {
        r.id: r.warehouse_id
        for r in (
            await session.execute(
                select(Location.id, Location.warehouse_id).where(
                    Location.tenant_id == tenant, Location.id.in_(location_ids)
                )
            )
        ).all()
    }

    def check_location(loc: uuid.UUID, path: str | None, internal: bool) -> None:
        if loc not in locations:
            checks.extend(not_found(path, "location"))
        elif internal and locations[loc] is None:
            checks.add(path, Code.NOT_INTERNAL, "Use a warehouse location")

    def check_product(product_id: uuid.UUID, path: str | None) -> None:
        if product_id not in products:
            checks.extend(not_found(path, "product"))
        elif products[product_id] != ProductType.STOCKABLE:
            checks.add(path, Code.NOT_STOCKABLE, "Only stockable products have stock")

    for m in plan.moves:
        check_product(m.product_id, m.paths.product)
        check_location(m.from_id, m.paths.from_location, m.internal_from)
        check_location(m.to_id, m.paths.to_location, m.internal_to)
        if m.from_id == m.to_id:
            checks.add(m.paths.to_location, Code.SAME_LOCATION, "Source and destination match")
        checks.positive(m.paths.quantity, m.quantity)
    for product_id, loc in plan.reserved:
        paths = plan.paths.get((product_id, loc))
        check_product(product_id, paths.product if paths else None)
        check_location(loc, paths.from_location if paths else None, True)
    if checks.problems:
        raise InvalidInput(list(dict.fromkeys(checks.problems)))
    internal = {loc: wh for loc, wh in locations.items() if wh is not None}
    for m in plan.moves:
        for loc in (m.from_id, m.to_id):
            if loc in internal:
                plan.fields.setdefault((m.product_id, loc), m.paths.quantity)
    return internal


async def lock_levels(
    session: AsyncSession, tenant: TenantId, keys: Iterable[Key], *, create: Iterable[Key] = ()
) -> dict[Key, Level]:
    """Lock the levels of `keys` in (product_id, location_id) order; absent ones read 0.

    `create` are the keys stock may arrive at: their rows are inserted first (in the same
    order) so there is a row to lock.
    """
    ordered = sorted(set(keys))
    missing = sorted(set(create))
    if missing:
        await session.execute(
            insert(StockLevel)
            .values(
                [{"tenant_id": tenant, "product_id": p, "location_id": loc} for p, loc in missing]
            )
            .on_conflict_do_nothing()
        )
    levels = {k: Level(ZERO, ZERO) for k in ordered}
    if not ordered:
        return levels
    mark_locked(session)
    rows = await session.execute(
        select(
            StockLevel.product_id,
            StockLevel.location_id,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.claimed,
        )
        .where(
            StockLevel.tenant_id == tenant,
            tuple_(StockLevel.product_id, StockLevel.location_id).in_(ordered),
        )
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .with_for_update()
    )
    for r in rows.all():
        levels[(r.product_id, r.location_id)] = Level(r.on_hand, r.reserved, r.claimed)
    return levels


_LOCKED = "stock.levels_locked"


def mark_locked(session: AsyncSession) -> None:
    """Note that this transaction holds level locks: a later operation in it can no longer
    take its locks in the global order, so it needs a savepoint to retry a deadlock."""
    sync = session.sync_session
    sync.info[_LOCKED] = sync.get_transaction()


def holds_locks(session: AsyncSession) -> bool:
    sync = session.sync_session
    root = sync.get_transaction()
    return root is not None and sync.info.get(_LOCKED) is root


async def execute(
    session: AsyncSession, tenant: TenantId, plan: Plan, *, actor: uuid.UUID | None
) -> list[StockMove]:
    """Validate, lock, decide, then write the moves, levels, reservations and costs."""
    internal = await validate(session, tenant, plan)
    delta: dict[Key, Level] = defaultdict(lambda: Level(ZERO, ZERO))
    incoming: set[Key] = set()
    for m in plan.moves:
        if m.from_id in internal:
            delta[(m.product_id, m.from_id)].on_hand -= m.quantity
        if m.to_id in internal:
            delta[(m.product_id, m.to_id)].on_hand += m.quantity
            incoming.add((m.product_id, m.to_id))
    for key, change in plan.reserved.items():
        delta[key].reserved += change
    for key, change in plan.claimed.items():
        delta[key].claimed += change

    product_ids = {m.product_id for m in plan.moves}
    holdings: dict[uuid.UUID, valuation.Holding] = {}
    if plan.revalue:
        holdings = await valuation.lock_holdings(session, tenant, product_ids)
    levels = await lock_levels(session, tenant, delta, create=incoming)
    before_write = {k: Level(v.on_hand, v.reserved, v.claimed) for k, v in levels.items()}

    shortfalls = []
    overflow = Checks()
    arriving = {(m.product_id, m.to_id): m.paths.quantity for m in plan.moves}
    for key, net in sorted(delta.items()):
        before = levels[key]
        on_hand = before.on_hand + net.on_hand
        reserved = before.reserved + net.reserved
        claimed = max(before.claimed + net.claimed, ZERO)
        if on_hand < 0 or reserved > on_hand or reserved < 0:
            # Demand on free stock: what leaves or gets reserved, net of what arrives.
            requested = net.reserved - net.on_hand
            free = before.on_hand - before.reserved
            shortfalls.append(Shortfall(key[0], key[1], requested, max(free, ZERO)))
        overflow.storable(arriving.get(key), on_hand, "The location's quantity on hand")
        levels[key] = Level(on_hand, reserved, claimed)
    if shortfalls:
        raise InsufficientStock(shortfalls, plan.fields)
    overflow.raise_any()

    now = dt.datetime.now(dt.UTC)
    if holdings:
        unit_costs = {p: cost for p, (_, cost) in holdings.items()}
    else:
        unit_costs = await valuation.current_costs(session, tenant, product_ids)
    moves = [
        StockMove(
            tenant_id=tenant,
            id=uuid.uuid4(),
            product_id=m.product_id,
            quantity=q4(m.quantity),
            from_location_id=m.from_id,
            to_location_id=m.to_id,
            state=MoveState.DONE,
            source_type=m.source.type if m.source else None,
            source_id=m.source.id if m.source else None,
            source_line=m.line,
            unit_cost=m.unit_cost if m.unit_cost is not None else unit_costs[m.product_id],
            done_at=now,
            done_by=actor,
            reason=m.reason,
        )
        for m in plan.moves
    ]
    session.add_all(moves)
    await session.flush()
    await _write_reservations(session, tenant, plan)
    await _write_claims(session, tenant, plan)
    # Stock that frees up or arrives goes to the oldest open claims first.
    await claims.fill(session, tenant, levels, delta)
    changed = [k for k in delta if levels[k] != before_write.get(k)]
    if changed:
        await session.execute(
            update(StockLevel),
            [
                {
                    "tenant_id": tenant,
                    "product_id": p,
                    "location_id": loc,
                    "on_hand": levels[(p, loc)].on_hand,
                    "reserved": levels[(p, loc)].reserved,
                    "claimed": levels[(p, loc)].claimed,
                }
                for p, loc in changed
            ],
        )
    if plan.revalue:
        arrivals = [
            (m.product_id, m.quantity, m.unit_cost)
            for m in plan.moves
            if m.to_id in internal and m.unit_cost is not None
        ]
        await valuation.set_costs(session, tenant, valuation.moving_average(holdings, arrivals))
    await evaluate_low_stock(
        session, tenant, {(p, internal[loc]) for p, loc in delta if loc in internal}
    )
    return moves


# --- reservations -------------------------------------------------------------------


async def _write_reservations(session: AsyncSession, tenant: TenantId, plan: Plan) -> None:
    await claims.upsert_reservations(
        session,
        tenant,
        [
            (d.type, d.id, ln.line, ln.product_id, ln.location_id, ln.quantity)
            for d, ln in plan.reserve_rows
        ],
    )
    await _shrink(session, tenant, Reservation, plan.consume_rows)


async def _write_claims(session: AsyncSession, tenant: TenantId, plan: Plan) -> None:
    await _shrink(session, tenant, Claim, plan.claim_rows)
    await claims.upsert_claims(
        session, tenant, [row for row, _ in plan.claim_adds], [at for _, at in plan.claim_adds]
    )


async def _shrink(
    session: AsyncSession,
    tenant: TenantId,
    table: type[Reservation] | type[Claim],
    remaining: dict[uuid.UUID, Decimal],
) -> None:
    """Set each row's quantity to what remains of it; delete those with nothing left."""
    gone = [row_id for row_id, left in remaining.items() if left <= 0]
    if gone:
        await session.execute(delete(table).where(table.tenant_id == tenant, table.id.in_(gone)))
    kept = [(row_id, left) for row_id, left in remaining.items() if left > 0]
    for row_id, left in kept:
        await session.execute(
            update(table).where(table.tenant_id == tenant, table.id == row_id).values(quantity=left)
        )


async def reservations(
    session: AsyncSession, tenant: TenantId, demand: DocumentRef, lines: Iterable[str] | None
) -> list[Reservation]:
    """What `demand` (or only its `lines`) holds, read fresh from the database."""
    stmt = select(Reservation).where(
        Reservation.tenant_id == tenant,
        Reservation.demand_type == demand.type,
        Reservation.demand_id == demand.id,
    )
    if lines is not None:
        stmt = stmt.where(Reservation.demand_line.in_(list(lines)))
    return list((await session.scalars(stmt.execution_options(populate_existing=True))).all())
