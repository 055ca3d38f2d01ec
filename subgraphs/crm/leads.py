"""Leads: prospects worked NEW -> CONTACTED -> QUALIFIED, then converted or lost."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.crm.contacts import create_contact
from subgraphs.crm.customers import CustomerFields, active_customer, create_customer
from subgraphs.crm.deals import create_deal
from subgraphs.crm.events import CrmEvent
from subgraphs.crm.models import Contact, Customer, CustomerKind, Deal, Lead, LeadSource, LeadStatus
from subgraphs.crm.owners import check_owner

LEAD_FLOW: dict[str, tuple[LeadStatus, ...]] = {
    LeadStatus.NEW: (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST),
    LeadStatus.CONTACTED: (LeadStatus.QUALIFIED, LeadStatus.LOST),
}
"""The moves an open lead may make; a lead in no key here is closed."""

EDITABLE_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)
"""What `update_lead` may set `status` to."""


@dataclass(slots=True)
class LeadFields:
    """A lead's editable fields; on update, None leaves a field unchanged. Problems name
    them under `fields` (`fields.email`)."""

    name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None
    status: str | None = None


async def _values(
    session: AsyncSession, tenant: TenantId, f: LeadFields, *, creating: bool
) -> dict[str, Any]:
    c = Checks("fields")
    values: dict[str, Any] = {}
    if f.name is not None or creating:
        values["name"] = c.text("name", f.name or "")
    if f.company_name is not None:
        values["company_name"] = c.optional("companyName", f.company_name)
    if f.email is not None:
        values["email"] = c.email("email", f.email)
    if f.phone is not None:
        values["phone"] = c.optional("phone", f.phone, limit=50)
    if f.source is not None or creating:
        values["source"] = c.choice("source", f.source or "", list(LeadSource))
    if f.owner_id is not None:
        await check_owner(session, tenant, c, f.owner_id)
        values["owner_id"] = f.owner_id
    if f.status is not None:
        values["status"] = c.choice("status", f.status, EDITABLE_STATUSES)
    c.raise_any()
    return values


async def _lead(session: AsyncSession, tenant: TenantId, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, (tenant, lead_id))
    if lead is None:
        raise not_found("leadId", "lead")
    return lead


def _transition(lead: Lead, to: LeadStatus) -> None:
    if to not in LEAD_FLOW.get(lead.status, ()):
        raise InvalidInput.one(
            "leadId",
            Code.INVALID_TRANSITION,
            f"A {lead.status.lower()} lead cannot become {to.lower()}",
        )


async def create_lead(
    session: AsyncSession, tenant: TenantId, *, actor: uuid.UUID, fields: LeadFields
) -> Lead:
    values = await _values(session, tenant, fields, creating=True)
    values.setdefault("owner_id", actor)
    lead = Lead(tenant_id=tenant, **values)
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


async def update_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, fields: LeadFields
) -> Lead:
    """Edits an open lead; `status` may only move NEW -> CONTACTED here."""
    lead = await _lead(session, tenant, lead_id)
    if lead.status not in LEAD_FLOW:
        raise InvalidInput.one("leadId", Code.LEAD_CLOSED, f"The lead is {lead.status.lower()}")
    values = await _values(session, tenant, fields, creating=False)
    if values.get("status", lead.status) != lead.status:
        _transition(lead, LeadStatus(values["status"]))
    for key, value in values.items():
        setattr(lead, key, value)
    await session.flush()
    await session.refresh(lead)
    return lead


async def qualify_lead(session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID) -> Lead:
    lead = await _lead(session, tenant, lead_id)
    _transition(lead, LeadStatus.QUALIFIED)
    lead.status = LeadStatus.QUALIFIED
    await session.flush()
    await session.refresh(lead)
    return lead


async def lose_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, reason: str
) -> Lead:
    lead = await _lead(session, tenant, lead_id)
    c = Checks()
    reason = c.text("reason", reason, limit=1000)
    c.raise_any()
    _transition(lead, LeadStatus.LOST)
    lead.status, lead.lost_reason = LeadStatus.LOST, reason
    await session.flush()
    await session.refresh(lead)
    return lead


@dataclass(frozen=True, slots=True)
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact
    deal: Deal


async def convert_lead(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    lead_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    deal_title: str | None = None,
    amount: Decimal | None = None,
) -> Conversion:
    """A qualified lead becomes a contact and a deal of a new or an existing customer.
    Every step validates before it writes, and the caller's unit of work is all-or-nothing.
    A new customer takes the lead's data; its problems (an email another customer has)
    name the customer's field (`email`)."""
    lead = await _lead(session, tenant, lead_id)
    if lead.status != LeadStatus.QUALIFIED:
        raise InvalidInput.one(
            "leadId", Code.NOT_QUALIFIED, "Only a qualified lead can be converted"
        )
    c = Checks()
    c.amount("amount", amount)
    if deal_title is not None:
        c.text("dealTitle", deal_title)
    customer: Customer | None = None
    if customer_id is not None:
        customer = await active_customer(session, tenant, c, customer_id, "customerId")
    c.raise_any()
    if customer is None:
        try:
            customer = await create_customer(
                session,
                tenant,
                fields=CustomerFields(
                    name=lead.company_name or lead.name,
                    kind=CustomerKind.COMPANY if lead.company_name else CustomerKind.INDIVIDUAL,
                    email=lead.email,
                    phone=lead.phone,
                    owner_id=lead.owner_id,
                ),
                actor=actor,
            )
        except InvalidInput as exc:
            raise exc.under(None, {"fields": ""}) from None
    contact = await create_contact(
        session,
        tenant,
        customer_id=customer.id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone,
        is_primary=customer_id is None,
    )
    deal = await create_deal(
        session,
        tenant,
        actor=actor,
        customer_id=customer.id,
        title=deal_title or f"{customer.name}: {lead.name}",
        amount=amount or Decimal(0),
        owner_id=lead.owner_id,
    )
    lead.status, lead.customer_id, lead.deal_id = LeadStatus.CONVERTED, customer.id, deal.id
    lead.converted_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(lead)
    await emit(
        session,
        tenant,
        type=CrmEvent.LEAD_CONVERTED,
        aggregate_type="Lead",
        aggregate_id=lead.id,
        payload={
            "customerId": str(customer.id),
            "contactId": str(contact.id),
            "dealId": str(deal.id),
        },
    )
    return Conversion(lead, customer, contact, deal)
