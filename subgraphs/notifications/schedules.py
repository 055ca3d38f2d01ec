"""Schedules: work due by the clock, evaluated by the worker for every tenant. A firing
is a row keyed by (tenant, schedule, period): the first evaluation of a period inserts it
and raises the schedule's event in the same transaction; every later one, by any worker,
finds the row and does nothing. So a period fires once however often it is evaluated.

- **daily-digest**: one event per tenant and day, from the digest hour (UTC).
- **invoice-overdue**: evaluated daily; one `invoice.overdue` event per overdue invoice
  per reminder period (`REMINDER_DAYS` days past its due date: days 1 to 7 are the first
  period, 8 to 14 the second...). The firing's schedule is `invoice-overdue/<invoice id>`
  and its period `week-<n>`, so however often and by however many workers the schedule
  runs, and whenever in the period, each invoice is reminded of once per period. The
  default rules send it to the customer (by email, the invoice attached), to sales and to
  the accountants.
- **activities-due**: from the digest hour (UTC), one `activity.due` event per CRM
  activity not done that falls due that UTC day (schedule `activities-due/<activity id>`,
  period the day).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import emit
from subgraphs.crm import api as crm
from subgraphs.notifications.config import WorkerConfig
from subgraphs.notifications.events import AGGREGATE, NotificationsEvent
from subgraphs.notifications.models import ScheduleFiring
from subgraphs.sales import api as sales

REMINDER_DAYS = 7
"""An overdue invoice is reminded of once per this many days past its due date."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One thing a schedule reminds of in a period: an event about its aggregate."""

    key: str
    """What is reminded of (an invoice id): part of the firing's schedule."""
    period: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    payload: dict[str, Any]


Reminders = Callable[[AsyncSession, TenantId, dt.date], Awaitable[list[Reminder]]]


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    event: NotificationsEvent
    period: Callable[[dt.datetime, WorkerConfig], str | None]
    """The period `now` falls in, or None while the schedule is not due yet."""
    reminders: Reminders | None = None
    """For a schedule of many things (`Reminder`s, each its own period), given the day;
    None: the schedule fires once per period for the tenant."""


def _daily_after_hour(now: dt.datetime, config: WorkerConfig) -> str | None:
    utc = now.astimezone(dt.UTC)
    return utc.date().isoformat() if utc.hour >= config.digest_hour else None


def _daily(now: dt.datetime, _: WorkerConfig) -> str:
    return now.astimezone(dt.UTC).date().isoformat()


def reminder_period(days_overdue: int) -> str:
    """`week-1` for 1 to `REMINDER_DAYS` days overdue, `week-2` for the next ones..."""
    return f"week-{(days_overdue - 1) // REMINDER_DAYS + 1}"


async def overdue_invoices(session: AsyncSession, tenant: TenantId, on: dt.date) -> list[Reminder]:
    return [
        Reminder(
            key=str(invoice.invoice_id),
            period=reminder_period(invoice.days_overdue),
            aggregate_type="Invoice",
            aggregate_id=invoice.invoice_id,
            payload={
                "number": invoice.number,
                "customerId": str(invoice.customer_id),
                "currency": invoice.currency,
                "amountDue": str(invoice.amount_due),
                "dueDate": invoice.due_date.isoformat(),
                "daysOverdue": invoice.days_overdue,
            },
        )
        for invoice in await sales.overdue_invoices(session, tenant, on)
    ]


async def activities_due(session: AsyncSession, tenant: TenantId, on: dt.date) -> list[Reminder]:
    return [
        Reminder(
            key=str(activity.id),
            period=on.isoformat(),
            aggregate_type="Activity",
            aggregate_id=activity.id,
            payload={
                "subject": activity.subject,
                "type": activity.type,
                "dueAt": activity.due_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
                "ownerId": str(activity.owner_id) if activity.owner_id else None,
                "customerId": str(activity.customer_id) if activity.customer_id else None,
            },
        )
        for activity in await crm.activities_due(session, tenant, on)
    ]


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("daily-digest", NotificationsEvent.DIGEST_DUE, _daily_after_hour),
    Schedule("invoice-overdue", NotificationsEvent.INVOICE_OVERDUE, _daily, overdue_invoices),
    Schedule("activities-due", NotificationsEvent.ACTIVITY_DUE, _daily_after_hour, activities_due),
)


async def _fire_once(
    session: AsyncSession, tenant: TenantId, schedule: str, period: str
) -> uuid.UUID | None:
    """The new firing's id, or None when (tenant, schedule, period) fired already."""
    fired: uuid.UUID | None = await session.scalar(
        insert(ScheduleFiring)
        .values(tenant_id=tenant, schedule=schedule, period=period, id=uuid.uuid4())
        .on_conflict_do_nothing()
        .returning(ScheduleFiring.id)
    )
    return fired


async def fire(session: AsyncSession, tenant: TenantId, schedule: Schedule, period: str) -> int:
    """Fire `schedule` for `period` where it did not fire yet; the number of events
    raised now (0: every one had fired already)."""
    if schedule.reminders is None:
        fired = await _fire_once(session, tenant, schedule.name, period)
        if fired is None:
            return 0
        await emit(
            session,
            tenant,
            type=schedule.event,
            aggregate_type=AGGREGATE,
            aggregate_id=fired,
            payload={"schedule": schedule.name, "period": period},
        )
        return 1
    raised = 0
    for item in await schedule.reminders(session, tenant, dt.date.fromisoformat(period)):
        if await _fire_once(session, tenant, f"{schedule.name}/{item.key}", item.period) is None:
            continue
        await emit(
            session,
            tenant,
            type=schedule.event,
            aggregate_type=item.aggregate_type,
            aggregate_id=item.aggregate_id,
            payload={**item.payload, "schedule": schedule.name, "period": item.period},
        )
        raised += 1
    return raised


def due(now: dt.datetime, config: WorkerConfig) -> list[tuple[Schedule, str]]:
    return [(s, p) for s in SCHEDULES if (p := s.period(now, config)) is not None]
