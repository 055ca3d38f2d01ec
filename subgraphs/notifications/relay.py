"""The relay: unpublished outbox events become deliveries, in batches.

One batch is one transaction of one tenant: it claims events with `FOR UPDATE SKIP
LOCKED` (so workers side by side take disjoint batches), plans one delivery per event,
recipient and channel from the tenant's rules, renders them, writes them, and marks the
events published. An in-app delivery is delivered right here (its inbox row is written in
the same transaction); email and SMS wait for `dispatch`. Either the whole batch commits
or none of it: an event is never published without its deliveries, and the unique key of
a delivery makes a repeated relay of an event write nothing twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.notifications import catalog, digest, preferences, templates
from subgraphs.notifications.facts import FactCache, Facts, event_facts
from subgraphs.notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    PreferenceMode,
    Rule,
)
from subgraphs.notifications.recipients import Directory, Recipient
from subgraphs.notifications.rules import rules_for

DELIVERY_KEY = ["tenant_id", "event_id", "origin", "recipient", "channel"]


@dataclass(frozen=True, slots=True)
class Planned:
    event: OutboxEvent
    rule: Rule
    recipient: Recipient
    channel: Channel
    facts: Facts


async def claim_events(session: AsyncSession, tenant: TenantId, limit: int) -> list[OutboxEvent]:
    rows = await session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.tenant_id == tenant, OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows.all())


async def _plan(
    session: AsyncSession, tenant: TenantId, events: list[OutboxEvent], directory: Directory
) -> list[Planned]:
    rules = await rules_for(session, tenant, sorted({e.type for e in events}))
    cache = FactCache()
    planned: list[Planned] = []
    for event in events:
        event_rules = rules.get(event.type)
        if not event_rules:
            continue
        facts, contact = await event_facts(session, tenant, event, cache)
        seen: set[tuple[str, str]] = set()  # one message per person and channel
        for rule in event_rules:
            for recipient in await directory.for_rule(rule, contact):
                for name in rule.channels:
                    channel = Channel(name)
                    if channel == Channel.IN_APP and recipient.user_id is None:
                        continue  # a customer contact has no inbox
                    if (recipient.key, channel) in seen:
                        continue
                    seen.add((recipient.key, channel))
                    planned.append(Planned(event, rule, recipient, channel, facts))
    return planned


def _state(
    item: Planned, modes: preferences.Modes, unsubscribed: set[uuid.UUID]
) -> tuple[DeliveryState, str | None, str | None]:
    """(state, address, why skipped) of a planned delivery."""
    r, channel = item.recipient, item.channel
    if r.user_id is not None:
        mode = preferences.mode_for(modes, r.user_id, item.event.type, channel)
        if mode == PreferenceMode.OFF:
            return DeliveryState.SKIPPED, None, "The recipient turned this notification off"
    else:
        mode = PreferenceMode.IMMEDIATE
    if channel == Channel.IN_APP:
        return DeliveryState.SENT, None, None
    address = r.email if channel == Channel.EMAIL else r.phone
    if not address:
        what = "email address" if channel == Channel.EMAIL else "phone number"
        return DeliveryState.SKIPPED, None, f"The recipient has no {what}"
    if r.contact_id is not None and channel == Channel.EMAIL and r.contact_id in unsubscribed:
        return DeliveryState.SKIPPED, address, "The contact unsubscribed"
    if mode == PreferenceMode.DIGEST:
        return DeliveryState.HELD, address, None
    return DeliveryState.PENDING, address, None


def _attachment(item: Planned) -> tuple[str | None, uuid.UUID | None]:
    kind = catalog.DOCUMENT_OF_EVENT.get(item.event.type)
    if not item.rule.attach_document or kind is None or item.channel != Channel.EMAIL:
        return None, None
    if item.event.aggregate_type not in ("SalesOrder", "Invoice"):
        return None, None
    return kind.value, item.event.aggregate_id


async def _rows(
    session: AsyncSession, tenant: TenantId, planned: list[Planned]
) -> list[dict[str, Any]]:
    users = sorted({p.recipient.user_id for p in planned if p.recipient.user_id})
    modes = await preferences.modes_of(session, tenant, users, {p.event.type for p in planned})
    contacts = sorted({p.recipient.contact_id for p in planned if p.recipient.contact_id})
    unsubscribed = await preferences.unsubscribed(session, tenant, contacts)
    chains = await templates.effective(
        session, tenant, {(p.rule.template, p.channel, p.rule.locale) for p in planned}
    )
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []
    for item in planned:
        state, address, skipped = _state(item, modes, unsubscribed)
        r = item.recipient
        context = {**item.facts, "recipient": {"name": r.name, "email": r.email}}
        chain = chains[(item.rule.template, item.channel, item.rule.locale)]
        subject, body = ("", "")
        if state != DeliveryState.SKIPPED:
            subject, body = templates.render_safely(chain, context)
        kind, document = _attachment(item)
        rows.append(
            {
                "tenant_id": tenant,
                "id": uuid.uuid4(),
                "event_id": item.event.id,
                "event_type": item.event.type,
                "origin": str(item.rule.id),
                "rule_id": item.rule.id,
                "channel": item.channel.value,
                "recipient": r.key,
                "user_id": r.user_id,
                "contact_id": r.contact_id,
                "address": address,
                "subject": subject,
                "body": body,
                "attachment_kind": kind,
                "attachment_id": document,
                "state": state.value,
                "last_error": skipped,
                "sent_at": now if state == DeliveryState.SENT else None,
                "next_attempt_at": now,
            }
        )
    return rows


async def write_deliveries(
    session: AsyncSession, tenant: TenantId, rows: list[dict[str, Any]], events: list[OutboxEvent]
) -> int:
    """Insert the deliveries that do not exist yet, and the inbox rows of the in-app ones
    among them; the number of deliveries written."""
    if not rows:
        return 0
    inserted = set(
        (
            await session.scalars(
                insert(Delivery)
                .on_conflict_do_nothing(index_elements=DELIVERY_KEY)
                .returning(Delivery.id),
                rows,
            )
        ).all()
    )
    by_event = {e.id: e for e in events}
    inbox = [
        {
            "tenant_id": tenant,
            "id": uuid.uuid4(),
            "user_id": row["user_id"],
            "delivery_id": row["id"],
            "event_id": row["event_id"],
            "event_type": row["event_type"],
            "aggregate_type": by_event[row["event_id"]].aggregate_type,
            "aggregate_id": by_event[row["event_id"]].aggregate_id,
            "title": row["subject"],
            "body": row["body"],
        }
        for row in rows
        if row["id"] in inserted
        and row["channel"] == Channel.IN_APP
        and row["state"] == DeliveryState.SENT
    ]
    if inbox:
        await session.execute(insert(Notification), inbox)
        metrics.count(session, metrics.NOTIFICATIONS_SENT, Channel.IN_APP.value, amount=len(inbox))
    return len(inserted)


async def relay_batch(session: AsyncSession, tenant: TenantId, *, limit: int) -> int:
    """Relay up to `limit` of the tenant's unpublished events; the number relayed (0: none
    were left, or the rest is being relayed by another worker)."""
    events = await claim_events(session, tenant, limit)
    if not events:
        return 0
    directory = Directory(session, tenant)
    regular = [e for e in events if e.type != catalog.DIGEST]
    rows = await _rows(session, tenant, await _plan(session, tenant, regular, directory))
    await write_deliveries(session, tenant, rows, events)
    for event in events:  # after the batch's own held messages are written
        if event.type == catalog.DIGEST:
            digests = await digest.digest_rows(session, tenant, event, directory)
            await write_deliveries(session, tenant, digests, events)
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.tenant_id == tenant, OutboxEvent.id.in_([e.id for e in events]))
        .values(published_at=func.now())
    )
    return len(events)
