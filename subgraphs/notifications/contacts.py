"""The customer contact of a document: whom customer-facing messages go to.

TODO(crm): crm's api exports no contact look-up yet, so the contact is the customer
record itself (its email, phone and billing address), read through
`crm.get_orderable_customer`, which answers only for active customers: an archived
customer gets no customer-facing message. The lead is asked for `customers_by_id` and a
primary-contact look-up in crm's api.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.crm import api as crm


@dataclass(frozen=True, slots=True)
class CustomerContact:
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    address: dict[str, Any] | None


async def customer_contact(
    session: AsyncSession, tenant: TenantId, customer_id: uuid.UUID
) -> CustomerContact | None:
    try:
        customer = await crm.get_orderable_customer(session, tenant, customer_id)
    except crm.CustomerNotOrderable:
        return None
    return CustomerContact(
        id=customer.id,
        name=customer.legal_name or customer.name,
        email=customer.email,
        phone=customer.phone,
        address=customer.billing_address,
    )
