"""The outbox events CRM emits (see `shared.outbox`); each member's docstring lists the
keys of its payload. The aggregate id is the row the event is about."""

from __future__ import annotations

from enum import StrEnum


class CrmEvent(StrEnum):
    CUSTOMER_CREATED = "customer.created"
    """Aggregate `Customer`. Payload: `name`, `email` (or null), `ownerId` (or null)."""

    LEAD_CONVERTED = "lead.converted"
    """Aggregate `Lead`. Payload: `customerId`, `contactId`, `dealId`."""

    DEAL_WON = "deal.won"
    """Aggregate `Deal`. Payload: `customerId`, `amount` (decimal string), `currency`,
    `reason` (null)."""

    DEAL_LOST = "deal.lost"
    """Aggregate `Deal`. Payload: `customerId`, `amount` (decimal string), `currency`,
    `reason` (why it was lost)."""
