"""Work centers: where operations run, how many jobs at once, at what hourly cost, and
how many hours on each weekday."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.production.models import WorkCenter

DEFAULT_HOURS = (8, 8, 8, 8, 8, 0, 0)
MAX_CAPACITY = 1000
HUNDREDTH = Decimal("0.01")


def _hours(checks: Checks, values: Sequence[Decimal]) -> list[Decimal]:
    if len(values) != 7:
        checks.add("workingHours", Code.INVALID, "Seven entries, Monday first")
        return []
    for i, hours in enumerate(values):
        checks.decimal_range(f"workingHours.{i}", hours, Decimal(0), Decimal(24))
        checks.precision(f"workingHours.{i}", hours, decimals=2)
    if not checks.ok:
        return []
    return [Decimal(h).quantize(HUNDREDTH) for h in values]


async def _code_taken(
    session: AsyncSession, tenant: TenantId, code: str, other_than: uuid.UUID | None = None
) -> bool:
    stmt = select(WorkCenter.id).where(WorkCenter.tenant_id == tenant, WorkCenter.code == code)
    found = await session.scalar(stmt)
    return found is not None and found != other_than


async def create_work_center(
    session: AsyncSession,
    tenant: TenantId,
    *,
    code: str,
    name: str,
    capacity: int = 1,
    cost_per_hour: Decimal = Decimal(0),
    working_hours: Sequence[Decimal] | None = None,
) -> WorkCenter:
    checks = Checks()
    code = checks.text("code", code, limit=32).upper()
    name = checks.text("name", name)
    checks.range("capacity", capacity, 1, MAX_CAPACITY)
    cost = checks.amount("costPerHour", cost_per_hour)
    hours = _hours(checks, working_hours or [Decimal(h) for h in DEFAULT_HOURS])
    if checks.ok and await _code_taken(session, tenant, code):
        checks.add("code", Code.DUPLICATE, "Another work center has this code")
    checks.raise_any()
    assert cost is not None
    center = WorkCenter(
        tenant_id=tenant,
        id=uuid.uuid4(),
        code=code,
        name=name,
        capacity=capacity,
        cost_per_hour=cost,
        working_hours=hours,
        active=True,
    )
    session.add(center)
    await session.flush()
    return center


async def update_work_center(
    session: AsyncSession,
    tenant: TenantId,
    work_center_id: uuid.UUID,
    *,
    name: str | None = None,
    capacity: int | None = None,
    cost_per_hour: Decimal | None = None,
    working_hours: Sequence[Decimal] | None = None,
    active: bool | None = None,
) -> WorkCenter:
    center = await session.scalar(
        select(WorkCenter)
        .where(WorkCenter.tenant_id == tenant, WorkCenter.id == work_center_id)
        .with_for_update()
    )
    if center is None:
        raise not_found("id", "work center")
    checks = Checks()
    new_name = checks.text("name", name) if name is not None else None
    checks.range("capacity", capacity, 1, MAX_CAPACITY)
    cost = checks.amount("costPerHour", cost_per_hour)
    hours = _hours(checks, working_hours) if working_hours is not None else None
    checks.raise_any()
    if new_name is not None:
        center.name = new_name
    if capacity is not None:
        center.capacity = capacity
    if cost is not None:
        center.cost_per_hour = cost
    if hours is not None:
        center.working_hours = hours
    if active is not None:
        center.active = active
    await session.flush()
    return center
