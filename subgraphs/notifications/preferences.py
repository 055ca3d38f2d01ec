"""Who wants what: a user's choice per event type and channel (immediately, in the daily
digest, or not at all; `*` stands for every event type), and the customer contacts that
unsubscribed from customer-facing email."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.notifications import contacts
from subgraphs.notifications.models import Channel, Preference, PreferenceMode, Unsubscribe
from subgraphs.notifications.rules import EVENT_TYPE
from subgraphs.notifications.text import text

ANY_EVENT = "*"


async def set_preference(
    session: AsyncSession,
    tenant: TenantId,
    *,
    user_id: uuid.UUID,
    event_type: str,
    channel: Channel,
    mode: PreferenceMode,
) -> Preference:
    checks = Checks()
    event_type = text(checks, "eventType", event_type, limit=100)
    if event_type and event_type != ANY_EVENT and not EVENT_TYPE.match(event_type):
        checks.add("eventType", Code.INVALID, "An event type such as stock.low, or *")
    if mode == PreferenceMode.DIGEST and channel != Channel.EMAIL:
        checks.add("mode", Code.INVALID_CHOICE, "Only email can be collected in a digest")
    checks.raise_any()
    await session.execute(
        insert(Preference)
        .values(
            tenant_id=tenant, user_id=user_id, event_type=event_type, channel=channel, mode=mode
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "user_id", "event_type", "channel"],
            set_={"mode": mode},
        )
    )
    found = await session.get(
        Preference, (tenant, user_id, event_type, str(channel)), populate_existing=True
    )
    assert found is not None
    return found


Modes = dict[tuple[uuid.UUID, str, str], PreferenceMode]
"""(user, event type or `*`, channel) -> mode."""


async def modes_of(
    session: AsyncSession, tenant: TenantId, user_ids: Sequence[uuid.UUID], event_types: set[str]
) -> Modes:
    if not user_ids:
        return {}
    rows = await session.scalars(
        select(Preference).where(
            Preference.tenant_id == tenant,
            Preference.user_id.in_(set(user_ids)),
            Preference.event_type.in_({*event_types, ANY_EVENT}),
        )
    )
    return {(p.user_id, p.event_type, p.channel): PreferenceMode(p.mode) for p in rows}


def mode_for(modes: Modes, user_id: uuid.UUID, event_type: str, channel: Channel) -> PreferenceMode:
    """The user's choice for this event type, else for every type, else IMMEDIATE."""
    return modes.get(
        (user_id, event_type, channel),
        modes.get((user_id, ANY_EVENT, channel), PreferenceMode.IMMEDIATE),
    )


# --- customer contacts ------------------------------------------------------------------


async def set_unsubscribed(
    session: AsyncSession,
    tenant: TenantId,
    *,
    contact_id: uuid.UUID,
    unsubscribed: bool,
    actor: uuid.UUID | None,
) -> bool:
    """Record (or lift) a contact's unsubscribe; the flag as it now stands."""
    if await contacts.customer_contact(session, tenant, contact_id) is None:
        raise not_found("contactId", "contact")
    if unsubscribed:
        await session.execute(
            insert(Unsubscribe)
            .values(tenant_id=tenant, contact_id=contact_id, recorded_by=actor)
            .on_conflict_do_nothing()
        )
    else:
        await session.execute(
            delete(Unsubscribe).where(
                Unsubscribe.tenant_id == tenant, Unsubscribe.contact_id == contact_id
            )
        )
    return unsubscribed


async def unsubscribed(
    session: AsyncSession, tenant: TenantId, contact_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not contact_ids:
        return set()
    rows = await session.scalars(
        select(Unsubscribe.contact_id).where(
            Unsubscribe.tenant_id == tenant, Unsubscribe.contact_id.in_(set(contact_ids))
        )
    )
    return set(rows.all())
