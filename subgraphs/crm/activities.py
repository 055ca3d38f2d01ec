"""Activities: calls, meetings, emails, tasks and notes linked to CRM records."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import Base, TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.crm.models import (
    Activity,
    ActivityType,
    Contact,
    Customer,
    CustomerStatus,
    Deal,
    Lead,
)


@dataclass(slots=True)
class ActivityLinks:
    """What an activity concerns (at least one). Problems name them under `links`
    (`links.dealId`), and `links` itself when none is given."""

    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None


def _linked(links: ActivityLinks) -> list[tuple[str, type[Base], str, uuid.UUID | None]]:
    return [
        ("customerId", Customer, "customer", links.customer_id),
        ("contactId", Contact, "contact", links.contact_id),
        ("leadId", Lead, "lead", links.lead_id),
        ("dealId", Deal, "deal", links.deal_id),
    ]


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
    c.choice("type", type, list(ActivityType))
    subject = c.text("subject", subject)
    linked = _linked(links)
    if all(value is None for _, _, _, value in linked):
        c.add("links", Code.LINK_REQUIRED, "Link the activity to a customer, contact, lead or deal")
    at = c.at("links")
    for field, model, what, value in linked:
        if value is not None:
            row = await session.get(model, (tenant, value))
            if row is None:
                at.extend(not_found(field, what))
            elif isinstance(row, Customer) and row.status == CustomerStatus.ARCHIVED:
                at.add(field, Code.ARCHIVED, "The customer is archived")
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
    activity = await session.get(Activity, (tenant, activity_id))
    if activity is None:
        raise not_found("activityId", "activity")
    if activity.done:
        raise InvalidInput.one("activityId", Code.ALREADY_DONE, "The activity is already done")
    activity.done, activity.done_at = True, dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(activity)
    return activity
