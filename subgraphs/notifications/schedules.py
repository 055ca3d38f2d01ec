"""Schedules: work due by the clock, evaluated by the worker for every tenant. A firing
is a row keyed by (tenant, schedule, period): the first evaluation of a period inserts it
and raises the schedule's event in the same transaction; every later one, by any worker,
finds the row and does nothing. So a period fires once however often it is evaluated.

Only the daily digest is scheduled so far. Invoice reminders and CRM activities due today
need reads that sales' and crm's api do not export yet (invoices have no due date, and
crm exports no activity look-up); their rules and templates ship, waiting for the events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import emit
from subgraphs.notifications.config import WorkerConfig
from subgraphs.notifications.events import AGGREGATE, NotificationsEvent
from subgraphs.notifications.models import ScheduleFiring


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    event: NotificationsEvent
    period: Callable[[dt.datetime, WorkerConfig], str | None]
    """The period `now` falls in, or None while the schedule is not due yet."""


def _daily_after_hour(now: dt.datetime, config: WorkerConfig) -> str | None:
    utc = now.astimezone(dt.UTC)
    return utc.date().isoformat() if utc.hour >= config.digest_hour else None


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("daily-digest", NotificationsEvent.DIGEST_DUE, _daily_after_hour),
)


async def fire(session: AsyncSession, tenant: TenantId, schedule: Schedule, period: str) -> bool:
    """Fire `schedule` for `period` unless it fired already; True when it fired now."""
    fired = await session.scalar(
        insert(ScheduleFiring)
        .values(tenant_id=tenant, schedule=schedule.name, period=period, id=uuid.uuid4())
        .on_conflict_do_nothing()
        .returning(ScheduleFiring.id)
    )
    if fired is None:
        return False
    await emit(
        session,
        tenant,
        type=schedule.event,
        aggregate_type=AGGREGATE,
        aggregate_id=fired,
        payload={"schedule": schedule.name, "period": period},
    )
    return True


def due(now: dt.datetime, config: WorkerConfig) -> list[tuple[Schedule, str]]:
    return [(s, p) for s in SCHEDULES if (p := s.period(now, config)) is not None]
