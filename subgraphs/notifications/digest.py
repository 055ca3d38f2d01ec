"""The daily digest: email a user chose to get in the digest is HELD; when the digest
event of the day is relayed, each user with held messages gets one email listing every
message held until then, and those become DIGESTED, in the relay's transaction (so each
is digested exactly once; what arrives later waits for the next day)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.notifications import catalog, templates
from subgraphs.notifications.facts import FactCache, event_summary, tenant_facts
from subgraphs.notifications.models import Channel, Delivery, DeliveryState
from subgraphs.notifications.recipients import Directory

ORIGIN = "digest"


async def digest_rows(
    session: AsyncSession, tenant: TenantId, event: OutboxEvent, directory: Directory
) -> list[dict[str, Any]]:
    held = list(
        (
            await session.scalars(
                select(Delivery)
                .where(Delivery.tenant_id == tenant, Delivery.state == DeliveryState.HELD)
                .order_by(Delivery.user_id, Delivery.created_at, Delivery.id)
                .with_for_update()
            )
        ).all()
    )
    per_user: dict[uuid.UUID, list[Delivery]] = {}
    for d in held:
        if d.user_id is not None:
            per_user.setdefault(d.user_id, []).append(d)
    if not per_user:
        return []
    key = (catalog.DIGEST, Channel.EMAIL, catalog.DEFAULT_LOCALE)
    chain = (await templates.effective(session, tenant, [key]))[key]
    base = {
        "tenant": await tenant_facts(session, tenant, FactCache()),
        "event": event_summary(event),
        "payload": event.payload,
    }
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    for recipient in await directory.users(sorted(per_user)):
        assert recipient.user_id is not None
        items = [
            {"subject": d.subject, "event_type": d.event_type, "created_at": d.created_at}
            for d in per_user[recipient.user_id]
        ]
        context = {**base, "items": items, "recipient": {"name": recipient.name}}
        subject, body = templates.render_safely(chain, context)
        rows.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "event_id": event.id,
                "event_type": event.type,
                "origin": ORIGIN,
                "rule_id": None,
                "channel": Channel.EMAIL.value,
                "recipient": recipient.key,
                "user_id": recipient.user_id,
                "contact_id": None,
                "address": recipient.email,
                "subject": subject,
                "body": body,
                "attachment_kind": None,
                "attachment_id": None,
                "state": DeliveryState.PENDING.value,
                "last_error": None,
                "sent_at": None,
                "next_attempt_at": now,
            }
        )
    await session.execute(
        update(Delivery)
        .where(Delivery.tenant_id == tenant, Delivery.id.in_([d.id for d in held]))
        .values(state=DeliveryState.DIGESTED)
    )
    return rows
