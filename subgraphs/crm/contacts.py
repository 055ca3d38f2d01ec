"""Contacts: the people at a customer; at most one of them is its primary contact."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.crm.customers import active_customer
from subgraphs.crm.models import Contact


async def _unset_other_primaries(session: AsyncSession, tenant: TenantId, contact: Contact) -> None:
    await session.execute(
        update(Contact)
        .where(
            Contact.tenant_id == tenant,
            Contact.customer_id == contact.customer_id,
            Contact.id != contact.id,
            Contact.is_primary.is_(True),
        )
        .values(is_primary=False)
    )


async def create_contact(
    session: AsyncSession,
    tenant: TenantId,
    *,
    customer_id: uuid.UUID,
    name: str,
    job_title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_primary: bool = False,
) -> Contact:
    c = Checks()
    await active_customer(session, tenant, c, customer_id, "customerId")
    contact = Contact(
        tenant_id=tenant,
        customer_id=customer_id,
        name=c.text("name", name),
        job_title=c.optional("jobTitle", job_title),
        email=c.email("email", email),
        phone=c.optional("phone", phone, limit=50),
        is_primary=is_primary,
    )
    c.raise_any()
    session.add(contact)
    await session.flush()
    if is_primary:
        await _unset_other_primaries(session, tenant, contact)
    await session.refresh(contact)
    metrics.count(session, metrics.CONTACTS_CREATED)
    return contact


async def update_contact(
    session: AsyncSession,
    tenant: TenantId,
    *,
    contact_id: uuid.UUID,
    name: str | None = None,
    job_title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_primary: bool | None = None,
) -> Contact:
    """Edits a contact of an active customer (an archived customer's contacts are
    read-only: the problem names `contactId`)."""
    contact = await session.get(Contact, (tenant, contact_id))
    if contact is None:
        raise not_found("contactId", "contact")
    c = Checks()
    await active_customer(session, tenant, c, contact.customer_id, "contactId")
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = c.text("name", name)
    if job_title is not None:
        values["job_title"] = c.optional("jobTitle", job_title)
    if email is not None:
        values["email"] = c.email("email", email)
    if phone is not None:
        values["phone"] = c.optional("phone", phone, limit=50)
    if is_primary is not None:
        values["is_primary"] = is_primary
    c.raise_any()
    for key, value in values.items():
        setattr(contact, key, value)
    await session.flush()
    if is_primary:
        await _unset_other_primaries(session, tenant, contact)
    await session.refresh(contact)
    return contact
