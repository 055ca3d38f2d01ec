"""Activities: calls, meetings, emails, tasks and notes linked to CRM records."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput
from shared.pagination import Page, paginate
from subgraphs.crm.checks import Checks, get_row, sort_key
from subgraphs.crm.models import Activity, Contact, Customer, Deal, Lead
from subgraphs.crm.service import ARCHIVED

ACTIVITY_TYPES = ("CALL", "MEETING", "EMAIL", "TASK", "NOTE")


@dataclass(slots=True)
class ActivityLinks:
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


async def create_activity(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    type: str,
    subject: str,
    notes: str = "",
    due_at: dt.datetime | None = None,
    links: ActivityLinks,
) -> Activity:
    c = Checks()
    c.choice("input.type", type, ACTIVITY_TYPES)
    subject = c.text("input.subject", subject)
    linked = {
        "customerId": (Customer, links.customer_id),
        "contactId": (Contact, links.contact_id),
        "leadId": (Lead, links.lead_id),
        "dealId": (Deal, links.deal_id),
    }
    if all(v is None for _, v in linked.values()):
        c.add("input", "LINK_REQUIRED", "Link the activity to a customer, contact, lead or deal")
    for name, (model, value) in linked.items():
        if value is not None:
            row = await session.get(model, (tenant, value))
            if row is None:
                c.add(f"input.{name}", "NOT_FOUND", "Nothing with this id")
            elif isinstance(row, Customer) and row.status == ARCHIVED:
                c.add(f"input.{name}", "ARCHIVED", "The customer is archived")
    c.raise_any()
    activity = Activity(
        tenant_id=tenant,
        type=type,
        subject=subject,
        notes=notes,
        due_at=due_at,
        customer_id=links.customer_id,
        contact_id=links.contact_id,
        lead_id=links.lead_id,
        deal_id=links.deal_id,
        owner_id=actor,
    )
    session.add(activity)
    await session.flush()
    await session.refresh(activity)
    return activity


async def complete_activity(
    session: AsyncSession, tenant: TenantId, *, activity_id: uuid.UUID
) -> Activity:
    activity = await get_row(session, Activity, tenant, activity_id)
    if activity.done:
        raise InvalidInput.one("input.id", "ALREADY_DONE", "The activity is already done")
    activity.done, activity.done_at = True, dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(activity)
    return activity


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    overdue: bool | None = None
    done: bool | None = None
    type: str | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None


def overdue_condition() -> Any:
    return (Activity.done.is_(False)) & (Activity.due_at < func.now())


async def list_activities(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ActivityFilter,
    first: int | None,
    after: str | None,
) -> Page[Activity]:
    """`overdue`: not done and due before now."""
    stmt: Select[Any] = select(Activity).where(Activity.tenant_id == tenant)
    if filter.overdue is not None:
        cond = overdue_condition()
        stmt = stmt.where(cond if filter.overdue else ~cond | Activity.due_at.is_(None))
    for column, value in (
        (Activity.done, filter.done),
        (Activity.type, filter.type),
        (Activity.customer_id, filter.customer_id),
        (Activity.contact_id, filter.contact_id),
        (Activity.deal_id, filter.deal_id),
        (Activity.lead_id, filter.lead_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return await paginate(
        session,
        stmt,
        keys=[sort_key(Activity.created_at), sort_key(Activity.id)],
        key_of=lambda r: (r.created_at, r.id),
        first=first,
        after=after,
    )
