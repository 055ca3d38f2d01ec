"""Leads: prospects worked NEW -> CONTACTED -> QUALIFIED, then converted or lost."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput
from shared.outbox import emit
from shared.pagination import Page, paginate
from subgraphs.crm.checks import Checks, by_id, check_owner, get_row, sort_key
from subgraphs.crm.deals import create_deal
from subgraphs.crm.models import Contact, Customer, Deal, Lead
from subgraphs.crm.service import (
    CustomerFields,
    active_customer,
    create_contact,
    create_customer,
)

LEAD_SOURCES = ("WEB", "REFERRAL", "EVENT", "CAMPAIGN", "OTHER")
LEAD_FLOW = {"NEW": ("CONTACTED", "QUALIFIED", "LOST"), "CONTACTED": ("QUALIFIED", "LOST")}


@dataclass(slots=True)
class LeadFields:
    name: str | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None
    status: str | None = None


async def _lead_values(
    session: AsyncSession, tenant: TenantId, f: LeadFields, *, creating: bool
) -> dict[str, Any]:
    c = Checks()
    values: dict[str, Any] = {}
    if f.name is not None or creating:
        values["name"] = c.text("input.name", f.name or "")
    if f.company_name is not None:
        values["company_name"] = c.optional("input.companyName", f.company_name)
    if f.email is not None:
        values["email"] = c.email("input.email", f.email)
    if f.phone is not None:
        values["phone"] = c.optional("input.phone", f.phone, limit=50)
    if f.source is not None or creating:
        values["source"] = c.choice("input.source", f.source or "", LEAD_SOURCES)
    if f.owner_id is not None:
        await check_owner(session, tenant, c, f.owner_id)
        values["owner_id"] = f.owner_id
    if f.status is not None:
        values["status"] = c.choice("input.status", f.status, ("NEW", "CONTACTED"))
    c.raise_any()
    return values


async def create_lead(
    session: AsyncSession, tenant: TenantId, *, actor: uuid.UUID, fields: LeadFields
) -> Lead:
    values = await _lead_values(session, tenant, fields, creating=True)
    values.setdefault("owner_id", actor)
    lead = Lead(tenant_id=tenant, **values)
    session.add(lead)
    await session.flush()
    await session.refresh(lead)
    return lead


def _transition(lead: Lead, to: str) -> None:
    if to not in LEAD_FLOW.get(lead.status, ()):
        raise InvalidInput.one(
            "input.id",
            "INVALID_TRANSITION",
            f"A {lead.status.lower()} lead cannot become {to.lower()}",
        )


async def update_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, fields: LeadFields
) -> Lead:
    """Edits an open lead; `status` may only move NEW -> CONTACTED here."""
    lead = await get_row(session, Lead, tenant, lead_id)
    if lead.status not in LEAD_FLOW:
        raise InvalidInput.one("input.id", "LEAD_CLOSED", f"The lead is {lead.status.lower()}")
    values = await _lead_values(session, tenant, fields, creating=False)
    if values.get("status", lead.status) != lead.status:
        _transition(lead, values["status"])
    for key, value in values.items():
        setattr(lead, key, value)
    await session.flush()
    await session.refresh(lead)
    return lead


async def qualify_lead(session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID) -> Lead:
    lead = await get_row(session, Lead, tenant, lead_id)
    _transition(lead, "QUALIFIED")
    lead.status = "QUALIFIED"
    await session.flush()
    await session.refresh(lead)
    return lead


async def lose_lead(
    session: AsyncSession, tenant: TenantId, *, lead_id: uuid.UUID, reason: str
) -> Lead:
    lead = await get_row(session, Lead, tenant, lead_id)
    c = Checks()
    reason = c.text("input.reason", reason, limit=1000)
    c.raise_any()
    _transition(lead, "LOST")
    lead.status, lead.lost_reason = "LOST", reason
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
    Every step validates before it writes, and the caller's unit of work is all-or-nothing."""
    lead = await get_row(session, Lead, tenant, lead_id)
    if lead.status != "QUALIFIED":
        raise InvalidInput.one(
            "input.leadId", "NOT_QUALIFIED", "Only a qualified lead can be converted"
        )
    c = Checks()
    c.money("input.amount", amount)
    if deal_title is not None:
        c.text("input.dealTitle", deal_title)
    if customer_id is not None:
        await active_customer(session, tenant, c, customer_id, "input.customerId")
    c.raise_any()
    if customer_id is None:
        customer = await create_customer(
            session,
            tenant,
            fields=CustomerFields(
                name=lead.company_name or lead.name,
                kind="COMPANY" if lead.company_name else "INDIVIDUAL",
                email=lead.email,
                phone=lead.phone,
                owner_id=lead.owner_id,
            ),
            actor=actor,
        )
    else:
        customer = await get_row(session, Customer, tenant, customer_id)
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
    lead.status, lead.customer_id, lead.deal_id = "CONVERTED", customer.id, deal.id
    lead.converted_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await session.refresh(lead)
    await emit(
        session,
        tenant,
        type="lead.converted",
        aggregate_type="Lead",
        aggregate_id=lead.id,
        payload={
            "customerId": str(customer.id),
            "contactId": str(contact.id),
            "dealId": str(deal.id),
        },
    )
    return Conversion(lead, customer, contact, deal)


async def leads_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Lead]:
    rows = await session.scalars(select(Lead).where(Lead.tenant_id == tenant, Lead.id.in_(ids)))
    return by_id(rows.all())


@dataclass(frozen=True, slots=True)
class LeadFilter:
    search: str | None = None
    status: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None


LEAD_ORDER = {"CREATED_AT": Lead.created_at, "NAME": Lead.name}


async def list_leads(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: LeadFilter,
    order_by: str = "CREATED_AT",
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[Lead]:
    stmt: Select[Any] = select(Lead).where(Lead.tenant_id == tenant)
    if filter.search and filter.search.strip():
        p = f"%{filter.search.strip()}%"
        stmt = stmt.where(or_(Lead.name.ilike(p), Lead.email.ilike(p), Lead.company_name.ilike(p)))
    for column, value in (
        (Lead.status, filter.status),
        (Lead.source, filter.source),
        (Lead.owner_id, filter.owner_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    attr = {"CREATED_AT": "created_at", "NAME": "name"}[order_by]
    return await paginate(
        session,
        stmt,
        keys=[sort_key(LEAD_ORDER[order_by], descending), sort_key(Lead.id, descending)],
        key_of=lambda r: (getattr(r, attr), r.id),
        first=first,
        after=after,
    )
