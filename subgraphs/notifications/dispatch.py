"""Sending: pending email and SMS deliveries go out, one transaction per delivery.

The delivery's row stays locked (`FOR UPDATE SKIP LOCKED`) while it is sent and is
marked in the same transaction, so two workers never send the same delivery at once. A
worker that dies after the channel accepted the message but before the commit leaves the
row PENDING: the next worker sends it again, once (at-least-once; the message carries its
delivery id in `X-Nexo-Delivery`, so the duplicate is recognisable). A failure counts an
attempt and schedules the next one with exponential backoff; after the last attempt the
delivery is DEAD — a dead letter, listed in GraphQL and retried on request.
"""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import Database, TenantId
from shared.errors import InvalidInput, not_found
from subgraphs.notifications import documents
from subgraphs.notifications.channels import Attachment, Channels, DeliveryFailed, Message, send
from subgraphs.notifications.config import WorkerConfig
from subgraphs.notifications.models import Channel, Delivery, DeliveryState, DocumentKind

log = structlog.get_logger("nexo.notifications")

ERROR_LIMIT = 2_000


async def claim_due(session: AsyncSession, tenant: TenantId) -> Delivery | None:
    return await session.scalar(
        select(Delivery)
        .where(
            Delivery.tenant_id == tenant,
            Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at <= func.now(),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def message_of(session: AsyncSession, tenant: TenantId, delivery: Delivery) -> Message:
    attachments: list[Attachment] = []
    if delivery.attachment_kind and delivery.attachment_id:
        document = await documents.load(
            session, tenant, DocumentKind(delivery.attachment_kind), delivery.attachment_id
        )
        if document is None:
            raise DeliveryFailed("The attached document no longer exists")
        attachments.append(Attachment(document.filename, document.content_type, document.content))
    return Message(
        delivery_id=delivery.id,
        to=delivery.address or "",
        subject=delivery.subject,
        body=delivery.body,
        attachments=attachments,
    )


def record_failure(
    session: AsyncSession, delivery: Delivery, error: str, config: WorkerConfig
) -> None:
    delivery.attempts += 1
    delivery.last_error = error[:ERROR_LIMIT]
    metrics.count(session, metrics.NOTIFICATIONS_FAILED, delivery.channel)
    if delivery.attempts >= config.max_attempts:
        delivery.state = DeliveryState.DEAD
        metrics.count(session, metrics.NOTIFICATIONS_DEAD, delivery.channel)
    else:
        wait = dt.timedelta(seconds=config.backoff_after(delivery.attempts))
        delivery.next_attempt_at = func.now() + wait


async def send_one(
    db: Database, tenant: TenantId, channels: Channels, config: WorkerConfig
) -> bool:
    """Send the tenant's most overdue pending delivery; False when none is due (or the
    due ones are being sent by other workers)."""
    async with db.transaction(tenant) as session:
        delivery = await claim_due(session, tenant)
        if delivery is None:
            return False
        try:
            message = await message_of(session, tenant, delivery)
            await send(channels, Channel(delivery.channel), message)
        except DeliveryFailed as exc:
            record_failure(session, delivery, str(exc), config)
            log.warning(
                "notifications.send_failed",
                delivery=str(delivery.id),
                attempts=delivery.attempts,
                dead=delivery.state == DeliveryState.DEAD,
                error=str(exc),
            )
        except Exception as exc:  # composing failed: count it, never loop on it
            log.exception("notifications.compose_failed", delivery=str(delivery.id))
            record_failure(session, delivery, f"{type(exc).__name__}: {exc}", config)
        else:
            delivery.attempts += 1
            delivery.state = DeliveryState.SENT
            delivery.sent_at = func.now()
            delivery.last_error = None
            metrics.count(session, metrics.NOTIFICATIONS_SENT, delivery.channel)
        await session.flush()
        return True


async def send_due(
    db: Database, tenant: TenantId, channels: Channels, config: WorkerConfig, *, limit: int
) -> int:
    sent = 0
    while sent < limit and await send_one(db, tenant, channels, config):
        sent += 1
    return sent


async def retry_dead_letter(
    session: AsyncSession, tenant: TenantId, delivery_id: uuid.UUID
) -> Delivery:
    """A dead letter goes back to PENDING with a fresh count of attempts, due now."""
    delivery = await session.get(Delivery, (tenant, delivery_id), with_for_update=True)
    if delivery is None:
        raise not_found("deliveryId", "delivery")
    if delivery.state != DeliveryState.DEAD:
        raise InvalidInput.one(
            "deliveryId",
            Code.INVALID_STATE,
            f"Only a dead letter can be retried (it is {delivery.state})",
        )
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = func.now()
    await session.flush()
    await session.refresh(delivery)
    return delivery
