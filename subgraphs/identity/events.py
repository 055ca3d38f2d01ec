"""The outbox events identity emits (`shared.outbox.emit`)."""

from __future__ import annotations

from enum import StrEnum


class IdentityEvent(StrEnum):
    TENANT_CREATED = "tenant.created"
    """A tenant signed up. Aggregate: the Tenant. Payload: `slug`, `name`."""
