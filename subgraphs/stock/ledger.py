"""The stock engine: every change of stock is a set of done moves plus the level (and
reservation) changes they imply, written in the caller's transaction.

Correctness rests on three rules:
- levels are locked with `SELECT ... FOR UPDATE` in one global order, (product_id,
  location_id), before anything is decided, so concurrent callers queue on the rows they
  share instead of overselling and never wait on each other in a cycle;
- the decision (enough stock?) is made on the locked rows and all of an operation's
  effects are checked before the first write, so an operation applies whole or not at all;
- the database CHECKs (on hand >= 0, 0 <= reserved <= on hand) are the backstop.

Each operation runs in a savepoint. A deadlock between operations that the caller chains
in one transaction (locks from an earlier call cannot be ordered with a later one) rolls
back to the savepoint and is retried, so the caller never sees it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from sqlalchemy import delete, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput, Problem
from shared.outbox import emit
from subgraphs.stock.models import (
    Location,
    LowStockAlert,
    Product,
    ReorderRule,
    Reservation,
    StockLevel,
    StockMove,
)

T = TypeVar("T")
Key = tuple[uuid.UUID, uuid.UUID]
"""(product_id, location_id): a stock level's identity and the lock order."""

QUANTUM = Decimal("0.0001")
ZERO = Decimal(0)
_RETRIES = 5
_RETRYABLE = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def q4(value: Decimal) -> Decimal:
    """Round to the precision of numeric(18,4), half to even."""
    return value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


# --- the API's value types ----------------------------------------------------------


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
class Shortfall:
    product_id: uuid.UUID
    location_id: uuid.UUID
    requested: Decimal
    available: Decimal

    @property
    def missing(self) -> Decimal:
        return self.requested - self.available


class InsufficientStock(InvalidInput):
    """Not enough unreserved stock; nothing was written. Names every short product."""

    def __init__(self, shortfalls: Sequence[Shortfall], fields: dict[Key, str]) -> None:
        self.shortfalls = list(shortfalls)
        super().__init__(
            [
                Problem(
                    fields.get((s.product_id, s.location_id)),
                    "INSUFFICIENT_STOCK",
                    f"Product {s.product_id}: {s.requested.normalize():f} needed at location "
                    f"{s.location_id}, {s.available.normalize():f} available "
                    f"(short by {s.missing.normalize():f})",
                )
                for s in self.shortfalls
            ]
        )


# --- the plan an operation builds and `_execute` applies ----------------------------


@dataclass(slots=True)
class _Move:
    product_id: uuid.UUID
    from_id: uuid.UUID
    to_id: uuid.UUID
    quantity: Decimal
    field: str
    unit_cost: Decimal | None = None
    source: DocumentRef | None = None
    line: str | None = None
    internal_from: bool = False
    internal_to: bool = False


@dataclass(slots=True)
class _Plan:
    moves: list[_Move] = field(default_factory=list)
    # Changes of `reserved` per level, and the reservation rows behind them.
    reserved: dict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reserve_rows: list[tuple[DocumentRef, DemandLine]] = field(default_factory=list)
    consume_rows: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    revalue: bool = False
    fields: dict[Key, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Level:
    on_hand: Decimal
    reserved: Decimal


# --- helpers ------------------------------------------------------------------------


async def _atomically(session: AsyncSession, op: Callable[[], Awaitable[T]]) -> T:
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


async def virtual_location(session: AsyncSession, tenant: TenantId, kind: str) -> uuid.UUID:
    """The tenant's virtual location of `kind`, created on first need (race-safe)."""
    where = (Location.tenant_id == tenant, Location.kind == kind, Location.warehouse_id.is_(None))
    found = await session.scalar(select(Location.id).where(*where))
    if found is not None:
        return found
    await session.execute(
        insert(Location)
        .values(tenant_id=tenant, id=uuid.uuid4(), kind=kind, name=kind.title(), warehouse_id=None)
        .on_conflict_do_nothing(
            index_elements=["tenant_id", "kind"], index_where=Location.warehouse_id.is_(None)
        )
    )
    created = await session.scalar(select(Location.id).where(*where))
    assert created is not None
    return created


def _positive(problems: list[Problem], field: str, quantity: Decimal) -> None:
    if not quantity.is_finite() or quantity <= 0:
        problems.append(Problem(field, "MUST_BE_POSITIVE", "The quantity must be greater than 0"))
    elif q4(quantity) != quantity:
        problems.append(Problem(field, "TOO_PRECISE", "At most 4 decimal places"))


async def _validate(
    session: AsyncSession, tenant: TenantId, plan: _Plan
) -> dict[uuid.UUID, uuid.UUID]:
    """Products exist and are stockable, locations exist (and are internal where the
    operation needs it), quantities make sense. Returns the internal locations touched,
    mapped to their warehouse."""
    problems: list[Problem] = []
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

    def check_location(loc: uuid.UUID, fld: str, internal: bool) -> None:
        if loc not in locations:
            problems.append(Problem(fld, "NOT_FOUND", "No such location"))
        elif internal and locations[loc] is None:
            problems.append(Problem(fld, "NOT_INTERNAL", "Use a warehouse location"))

    def check_product(product_id: uuid.UUID, fld: str) -> None:
        if product_id not in products:
            problems.append(Problem(fld, "NOT_FOUND", "No such product"))
        elif products[product_id] != "STOCKABLE":
            problems.append(Problem(fld, "NOT_STOCKABLE", "Only stockable products have stock"))

    for m in plan.moves:
        base = m.field.rsplit(".", 1)[0]
        check_product(m.product_id, f"{base}.productId")
        check_location(m.from_id, f"{base}.fromLocationId", m.internal_from)
        check_location(m.to_id, f"{base}.toLocationId", m.internal_to)
        if m.from_id == m.to_id:
            problems.append(
                Problem(f"{base}.toLocationId", "SAME_LOCATION", "Source and destination match")
            )
        _positive(problems, m.field, m.quantity)
    for product_id, loc in plan.reserved:
        base = plan.fields.get((product_id, loc), "lines").rsplit(".", 1)[0]
        check_product(product_id, f"{base}.productId")
        check_location(loc, f"{base}.locationId", True)
    if problems:
        raise InvalidInput(list(dict.fromkeys(problems)))
    internal = {loc: wh for loc, wh in locations.items() if wh is not None}
    for m in plan.moves:
        for loc in (m.from_id, m.to_id):
            if loc in internal:
                plan.fields.setdefault((m.product_id, loc), m.field)
    return internal


async def lock_levels(
    session: AsyncSession, tenant: TenantId, keys: Iterable[Key], *, create: Iterable[Key] = ()
) -> dict[Key, _Level]:
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
    levels = {k: _Level(ZERO, ZERO) for k in ordered}
    if not ordered:
        return levels
    rows = await session.execute(
        select(
            StockLevel.product_id, StockLevel.location_id, StockLevel.on_hand, StockLevel.reserved
        )
        .where(
            StockLevel.tenant_id == tenant,
            tuple_(StockLevel.product_id, StockLevel.location_id).in_(ordered),
        )
        .order_by(StockLevel.product_id, StockLevel.location_id)
        .with_for_update()
    )
    for r in rows.all():
        levels[(r.product_id, r.location_id)] = _Level(r.on_hand, r.reserved)
    return levels


async def _execute(
    session: AsyncSession, tenant: TenantId, plan: _Plan, *, actor: uuid.UUID | None
) -> list[StockMove]:
    internal = await _validate(session, tenant, plan)
    delta: dict[Key, _Level] = defaultdict(lambda: _Level(ZERO, ZERO))
    incoming: set[Key] = set()
    for m in plan.moves:
        if m.from_id in internal:
            delta[(m.product_id, m.from_id)].on_hand -= m.quantity
        if m.to_id in internal:
            delta[(m.product_id, m.to_id)].on_hand += m.quantity
            incoming.add((m.product_id, m.to_id))
    for key, change in plan.reserved.items():
        delta[key].reserved += change

    costs: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
    if plan.revalue:
        costs = await _lock_costs(session, tenant, {m.product_id for m in plan.moves})
    levels = await lock_levels(session, tenant, delta, create=incoming)

    shortfalls = []
    for key, net in sorted(delta.items()):
        before = levels[key]
        on_hand = before.on_hand + net.on_hand
        reserved = before.reserved + net.reserved
        if on_hand < 0 or reserved > on_hand or reserved < 0:
            # Demand on free stock: what leaves or gets reserved, net of what arrives.
            requested = net.reserved - net.on_hand
            free = before.on_hand - before.reserved
            shortfalls.append(Shortfall(key[0], key[1], requested, max(free, ZERO)))
        levels[key] = _Level(on_hand, reserved)
    if shortfalls:
        raise InsufficientStock(shortfalls, plan.fields)

    now = dt.datetime.now(dt.UTC)
    product_cost = costs or await _current_costs(
        session, tenant, {m.product_id for m in plan.moves}
    )
    new_costs = _moving_average(plan, costs, internal) if plan.revalue else {}
    moves = [
        StockMove(
            tenant_id=tenant,
            id=uuid.uuid4(),
            product_id=m.product_id,
            quantity=q4(m.quantity),
            from_location_id=m.from_id,
            to_location_id=m.to_id,
            state="DONE",
            source_type=m.source.type if m.source else None,
            source_id=m.source.id if m.source else None,
            source_line=m.line,
            unit_cost=m.unit_cost if m.unit_cost is not None else product_cost[m.product_id][1],
            done_at=now,
            done_by=actor,
        )
        for m in plan.moves
    ]
    session.add_all(moves)
    await session.flush()
    changed = [k for k in delta if delta[k].on_hand or delta[k].reserved]
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
                }
                for p, loc in changed
            ],
        )
    await _write_reservations(session, tenant, plan)
    if new_costs:
        await session.execute(
            update(Product),
            [{"tenant_id": tenant, "id": p, "cost": c} for p, c in new_costs.items()],
        )
    await evaluate_low_stock(
        session, tenant, {(p, internal[loc]) for p, loc in delta if loc in internal}
    )
    return moves


async def _lock_costs(
    session: AsyncSession, tenant: TenantId, product_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """product -> (quantity on hand in all internal locations, average cost), with the
    product row locked so concurrent receipts average one after the other."""
    rows = await session.execute(
        select(Product.id, Product.cost)
        .where(Product.tenant_id == tenant, Product.id.in_(product_ids))
        .order_by(Product.id)
        .with_for_update()
    )
    cost = {r.id: r.cost for r in rows.all()}
    sums = await session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand))
        .where(StockLevel.tenant_id == tenant, StockLevel.product_id.in_(product_ids))
        .group_by(StockLevel.product_id)
    )
    totals: dict[uuid.UUID, Decimal] = dict(sums.all())
    return {p: (totals.get(p) or ZERO, c) for p, c in cost.items()}


async def _current_costs(
    session: AsyncSession, tenant: TenantId, product_ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    rows = await session.execute(
        select(Product.id, Product.cost).where(
            Product.tenant_id == tenant, Product.id.in_(product_ids)
        )
    )
    return {r.id: (ZERO, r.cost) for r in rows.all()}


def _moving_average(
    plan: _Plan,
    costs: dict[uuid.UUID, tuple[Decimal, Decimal]],
    internal: dict[uuid.UUID, uuid.UUID],
) -> dict[uuid.UUID, Decimal]:
    """(Q x C + q1 x c1 + ...) / (Q + q1 + ...), exact in Decimal, rounded once."""
    result: dict[uuid.UUID, Decimal] = {}
    for product_id, (quantity, cost) in costs.items():
        total_qty, total_value = quantity, quantity * cost
        for m in plan.moves:
            if m.product_id == product_id and m.to_id in internal and m.unit_cost is not None:
                total_qty += m.quantity
                total_value += m.quantity * m.unit_cost
        if total_qty > 0:
            result[product_id] = q4(total_value / total_qty)
    return result


async def _write_reservations(session: AsyncSession, tenant: TenantId, plan: _Plan) -> None:
    for demand, line in plan.reserve_rows:
        stmt = insert(Reservation).values(
            tenant_id=tenant,
            id=uuid.uuid4(),
            demand_type=demand.type,
            demand_id=demand.id,
            demand_line=line.line,
            product_id=line.product_id,
            location_id=line.location_id,
            quantity=line.quantity,
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
                set_={"quantity": Reservation.quantity + stmt.excluded.quantity},
            )
        )
    for reservation_id, remaining in plan.consume_rows.items():
        where = (Reservation.tenant_id == tenant, Reservation.id == reservation_id)
        if remaining > 0:
            await session.execute(update(Reservation).where(*where).values(quantity=remaining))
        else:
            await session.execute(delete(Reservation).where(*where))


async def _reservations(
    session: AsyncSession, tenant: TenantId, demand: DocumentRef, lines: Iterable[str] | None
) -> list[Reservation]:
    stmt = select(Reservation).where(
        Reservation.tenant_id == tenant,
        Reservation.demand_type == demand.type,
        Reservation.demand_id == demand.id,
    )
    if lines is not None:
        stmt = stmt.where(Reservation.demand_line.in_(list(lines)))
    return list((await session.scalars(stmt.execution_options(populate_existing=True))).all())


# --- low stock ----------------------------------------------------------------------


async def evaluate_low_stock(
    session: AsyncSession, tenant: TenantId, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Raise one alert (and one `stock.low` event) per rule whose warehouse's available
    quantity is below its minimum; resolve open alerts once it is back at the minimum."""
    if not pairs:
        return
    rules = list(
        (
            await session.scalars(
                select(ReorderRule).where(
                    ReorderRule.tenant_id == tenant,
                    tuple_(ReorderRule.product_id, ReorderRule.warehouse_id).in_(sorted(pairs)),
                )
            )
        ).all()
    )
    if not rules:
        return
    available = await available_by_warehouse(
        session, tenant, {(r.product_id, r.warehouse_id) for r in rules}
    )
    open_alerts = set(
        (
            await session.scalars(
                select(LowStockAlert.rule_id).where(
                    LowStockAlert.tenant_id == tenant,
                    LowStockAlert.status == "OPEN",
                    LowStockAlert.rule_id.in_([r.id for r in rules]),
                )
            )
        ).all()
    )
    for rule in rules:
        free = available.get((rule.product_id, rule.warehouse_id), ZERO)
        if free < rule.min_quantity and rule.id not in open_alerts:
            raised = await session.scalar(
                insert(LowStockAlert)
                .values(
                    tenant_id=tenant,
                    id=uuid.uuid4(),
                    rule_id=rule.id,
                    product_id=rule.product_id,
                    warehouse_id=rule.warehouse_id,
                    status="OPEN",
                    min_quantity=rule.min_quantity,
                    available=free,
                )
                .on_conflict_do_nothing(
                    index_elements=["tenant_id", "rule_id"],
                    # A literal: PostgreSQL infers the partial index only from a predicate
                    # that matches its definition, and a bound parameter never does.
                    index_where=text("status = 'OPEN'"),
                )
                .returning(LowStockAlert.id)
            )
            if raised is not None:
                await emit(
                    session,
                    tenant,
                    type="stock.low",
                    aggregate_type="Product",
                    aggregate_id=rule.product_id,
                    payload={
                        "alertId": str(raised),
                        "productId": str(rule.product_id),
                        "warehouseId": str(rule.warehouse_id),
                        "available": str(free),
                        "minQuantity": str(rule.min_quantity),
                        "maxQuantity": str(rule.max_quantity),
                    },
                )
        elif free >= rule.min_quantity and rule.id in open_alerts:
            await session.execute(
                update(LowStockAlert)
                .where(
                    LowStockAlert.tenant_id == tenant,
                    LowStockAlert.rule_id == rule.id,
                    LowStockAlert.status == "OPEN",
                )
                .values(status="RESOLVED", resolved_at=func.now())
            )


async def available_by_warehouse(
    session: AsyncSession, tenant: TenantId, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """(product, warehouse) -> on hand minus reserved over the warehouse's locations."""
    if not pairs:
        return {}
    rows = await session.execute(
        select(
            StockLevel.product_id,
            Location.warehouse_id,
            func.sum(StockLevel.on_hand - StockLevel.reserved),
        )
        .join(
            Location,
            (Location.tenant_id == StockLevel.tenant_id) & (Location.id == StockLevel.location_id),
        )
        .where(
            StockLevel.tenant_id == tenant,
            tuple_(StockLevel.product_id, Location.warehouse_id).in_(sorted(pairs)),
        )
        .group_by(StockLevel.product_id, Location.warehouse_id)
    )
    return {(p, w): free for p, w, free in rows.all() if w is not None}


# --- the public operations ----------------------------------------------------------


async def reserve(
    session: AsyncSession, tenant: TenantId, *, demand: DocumentRef, lines: Sequence[DemandLine]
) -> None:
    """Reserve every line or none; raises `InsufficientStock` naming each shortfall."""
    plan = _Plan()
    problems: list[Problem] = []
    for i, line in enumerate(lines):
        fld = f"lines.{i}.quantity"
        _positive(problems, fld, line.quantity)
        key = (line.product_id, line.location_id)
        plan.reserved[key] += line.quantity
        plan.fields.setdefault(key, fld)
        plan.reserve_rows.append((demand, line))
    if problems:
        raise InvalidInput(problems)

    async def run() -> None:
        await _execute(session, tenant, plan, actor=None)

    await _atomically(session, run)


async def release(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[str] | None = None,
) -> Decimal:
    """Give back what `demand` (or only its `lines`) holds; returns the quantity freed."""

    async def run() -> Decimal:
        held = await _reservations(session, tenant, demand, lines)
        if not held:
            return ZERO
        await lock_levels(session, tenant, {(r.product_id, r.location_id) for r in held})
        # Re-read under the level locks: every writer of a reservation holds its level's.
        held = await _reservations(session, tenant, demand, lines)
        plan = _Plan()
        for r in held:
            plan.reserved[(r.product_id, r.location_id)] -= r.quantity
            plan.consume_rows[r.id] = ZERO
        await _execute(session, tenant, plan, actor=None)
        return sum((r.quantity for r in held), ZERO)

    return await _atomically(session, run)


async def _take(
    session: AsyncSession,
    tenant: TenantId,
    *,
    demand: DocumentRef,
    lines: Sequence[DemandLine],
    to_kind: str,
    actor: uuid.UUID | None,
) -> list[StockMove]:
    problems: list[Problem] = []
    for i, line in enumerate(lines):
        _positive(problems, f"lines.{i}.quantity", line.quantity)
    if problems:
        raise InvalidInput(problems)

    async def run() -> list[StockMove]:
        target = await virtual_location(session, tenant, to_kind)
        held = await _reservations(session, tenant, demand, {ln.line for ln in lines})
        await lock_levels(session, tenant, {(r.product_id, r.location_id) for r in held})
        held = await _reservations(session, tenant, demand, {ln.line for ln in lines})
        by_key = {(r.demand_line, r.product_id, r.location_id): r for r in held}
        remaining = {r.id: r.quantity for r in held}
        plan = _Plan()
        for i, line in enumerate(lines):
            fld = f"lines.{i}.quantity"
            plan.moves.append(
                _Move(
                    line.product_id,
                    line.location_id,
                    target,
                    line.quantity,
                    fld,
                    source=demand,
                    line=line.line,
                    internal_from=True,
                )
            )
            r = by_key.get((line.line, line.product_id, line.location_id))
            if r is not None:
                used = min(remaining[r.id], line.quantity)
                remaining[r.id] -= used
                plan.consume_rows[r.id] = remaining[r.id]
                plan.reserved[(line.product_id, line.location_id)] -= used
        return await _execute(session, tenant, plan, actor=actor)

    return await _atomically(session, run)


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
    return await _take(session, tenant, demand=demand, lines=lines, to_kind="CUSTOMER", actor=actor)


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
        session, tenant, demand=demand, lines=lines, to_kind="PRODUCTION", actor=actor
    )


async def _supply(
    session: AsyncSession,
    tenant: TenantId,
    *,
    source: DocumentRef | None,
    lines: Sequence[SupplyLine],
    from_kind: str,
    actor: uuid.UUID | None,
) -> list[StockMove]:
    problems: list[Problem] = []
    for i, line in enumerate(lines):
        if not line.unit_cost.is_finite() or line.unit_cost < 0:
            problems.append(Problem(f"lines.{i}.unitCost", "NEGATIVE", "Cost cannot be negative"))
    if problems:
        raise InvalidInput(problems)

    async def run() -> list[StockMove]:
        origin = await virtual_location(session, tenant, from_kind)
        plan = _Plan(revalue=True)
        for i, line in enumerate(lines):
            plan.moves.append(
                _Move(
                    line.product_id,
                    origin,
                    line.location_id,
                    line.quantity,
                    f"lines.{i}.quantity",
                    unit_cost=q4(line.unit_cost),
                    source=source,
                    internal_to=True,
                )
            )
        return await _execute(session, tenant, plan, actor=actor)

    return await _atomically(session, run)


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
        session, tenant, source=source, lines=lines, from_kind="SUPPLIER", actor=actor
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
        session, tenant, source=source, lines=lines, from_kind="CUSTOMER", actor=actor
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
        session, tenant, source=source, lines=lines, from_kind="PRODUCTION", actor=actor
    )


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
    move = _Move(
        product_id,
        from_location_id,
        to_location_id,
        quantity,
        "input.quantity",
        internal_from=True,
        internal_to=True,
    )
    plan = _Plan(moves=[move])

    async def run() -> StockMove:
        return (await _execute(session, tenant, plan, actor=actor))[0]

    return await _atomically(session, run)


@dataclass(frozen=True, slots=True)
class CountLine:
    product_id: uuid.UUID
    counted: Decimal


async def adjust(
    session: AsyncSession,
    tenant: TenantId,
    *,
    location_id: uuid.UUID,
    lines: Sequence[CountLine],
    actor: uuid.UUID | None = None,
    source: DocumentRef | None = None,
) -> list[StockMove]:
    """Make the location's on-hand equal the counts, posting the differences to or from
    the ADJUSTMENT location at the product's current cost (the average is unchanged)."""
    problems: list[Problem] = []
    for i, line in enumerate(lines):
        if not line.counted.is_finite() or line.counted < 0:
            problems.append(
                Problem(f"input.lines.{i}.countedQuantity", "NEGATIVE", "Counts cannot be negative")
            )
        elif q4(line.counted) != line.counted:
            problems.append(
                Problem(f"input.lines.{i}.countedQuantity", "TOO_PRECISE", "At most 4 decimals")
            )
    if len({ln.product_id for ln in lines}) != len(lines):
        problems.append(Problem("input.lines", "DUPLICATE", "Count each product once"))
    if problems:
        raise InvalidInput(problems)

    async def run() -> list[StockMove]:
        adjustment = await virtual_location(session, tenant, "ADJUSTMENT")
        # Validate products and the location before reading any level.
        probe = _Plan(reserved=defaultdict(Decimal))
        for i, ln in enumerate(lines):
            probe.reserved[(ln.product_id, location_id)] = ZERO
            probe.fields[(ln.product_id, location_id)] = f"input.lines.{i}.countedQuantity"
        try:
            await _validate(session, tenant, probe)
        except InvalidInput as exc:
            raise InvalidInput(
                [
                    Problem("input.locationId", p.code, p.message)
                    if p.field and p.field.endswith(".locationId")
                    else p
                    for p in exc.problems
                ]
            ) from None
        levels = await lock_levels(session, tenant, {(ln.product_id, location_id) for ln in lines})
        plan = _Plan()
        for i, ln in enumerate(lines):
            diff = ln.counted - levels[(ln.product_id, location_id)].on_hand
            fld = f"input.lines.{i}.countedQuantity"
            if diff > 0:
                plan.moves.append(
                    _Move(ln.product_id, adjustment, location_id, diff, fld, source=source)
                )
            elif diff < 0:
                plan.moves.append(
                    _Move(ln.product_id, location_id, adjustment, -diff, fld, source=source)
                )
        if not plan.moves:
            return []
        return await _execute(session, tenant, plan, actor=actor)

    return await _atomically(session, run)
