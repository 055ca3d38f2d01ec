"""Tables of the `notifications` schema, and every state and kind as a `StrEnum` (the one
source: CHECK constraints, GraphQL enums and the rules use these members).

A `Delivery` is one message of one event to one recipient on one channel; its unique key
`(tenant_id, event_id, origin, recipient, channel)` makes the relay idempotent per event,
so any number of workers may relay side by side. An in-app delivery is delivered when it
is written: its `Notification` (the inbox row) is inserted in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "notifications"
USER = ["identity.user.tenant_id", "identity.user.id"]


class Channel(StrEnum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryState(StrEnum):
    """PENDING until sent (retried with backoff), then SENT; DEAD after the last attempt
    failed (a dead letter, retried on request); HELD for a digest, then DIGESTED; SKIPPED
    when the recipient opted out or has no address (`last_error` says why)."""

    PENDING = "PENDING"
    SENT = "SENT"
    DEAD = "DEAD"
    HELD = "HELD"
    DIGESTED = "DIGESTED"
    SKIPPED = "SKIPPED"


class PreferenceMode(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    DIGEST = "DIGEST"
    OFF = "OFF"


class DocumentKind(StrEnum):
    """The documents notifications renders as PDF (the URL path segment is the value)."""

    SALES_ORDER = "sales-order"
    DELIVERY_SLIP = "delivery-slip"
    INVOICE = "invoice"


def _in(column: str, values: type[StrEnum]) -> str:
    """`column IN ('A', 'B')` from the enum, in declaration order (the migration's text)."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def _array_in(column: str, values: type[StrEnum]) -> str:
    members = ", ".join(repr(v.value) for v in values)
    return f"{column} <@ ARRAY[{members}]::varchar[]"


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class Rule(Base):
    """Which recipients of an event type get which channels, rendered with which template.
    Built-in rules (`builtin_key`) are installed per tenant and may be edited or disabled,
    not deleted."""

    __tablename__ = "rule"
    __table_args__ = (
        UniqueConstraint("tenant_id", "builtin_key"),
        Index("ix_rule_tenant_id_event_type", "tenant_id", "event_type"),
        CheckConstraint(_array_in("channels", Channel), name="channels"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    builtin_key: Mapped[str | None] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(63)), server_default="{}")
    user_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), server_default="{}")
    customer_contact: Mapped[bool] = mapped_column(Boolean, server_default="false")
    channels: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    template: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(16), server_default="en")
    attach_document: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class Template(Base):
    """A tenant's own version of a template; without one the shipped default applies."""

    __tablename__ = "template"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", "channel", "locale"),
        CheckConstraint(_in("channel", Channel), name="channel"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id", "origin", "recipient", "channel"),
        CheckConstraint(_in("channel", Channel), name="channel"),
        CheckConstraint(_in("state", DeliveryState), name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index(
            "ix_delivery_tenant_id_next_attempt_at",
            "tenant_id",
            "next_attempt_at",
            postgresql_where=text(f"state = '{DeliveryState.PENDING}'"),
        ),
        Index("ix_delivery_tenant_id_state_created_at", "tenant_id", "state", "created_at"),
        Index(
            "ix_delivery_tenant_id_user_id",
            "tenant_id",
            "user_id",
            postgresql_where=text(f"state = '{DeliveryState.HELD}'"),
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(40))
    """The rule's id as text, or `digest` for a digest message."""
    rule_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(80))
    """`user:<id>` or `contact:<id>`: who, independent of the address used."""
    user_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    attachment_kind: Mapped[str | None] = mapped_column(String(32))
    attachment_id: Mapped[uuid.UUID | None]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class Notification(Base):
    """A user's in-app inbox entry (one per in-app delivery)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("tenant_id", "delivery_id"),
        ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["notifications.delivery.tenant_id", "notifications.delivery.id"],
        ),
        ForeignKeyConstraint(["tenant_id", "user_id"], USER),
        Index(
            "ix_notification_tenant_id_user_id_created_at",
            "tenant_id",
            "user_id",
            "created_at",
            "id",
        ),
        Index(
            "ix_notification_tenant_id_user_id",
            "tenant_id",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
        ),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    delivery_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    aggregate_type: Mapped[str | None] = mapped_column(String(100))
    aggregate_id: Mapped[uuid.UUID | None]
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Preference(Base):
    """A user's choice for one event type on one channel (absent: IMMEDIATE)."""

    __tablename__ = "preference"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], USER),
        CheckConstraint(_in("channel", Channel), name="channel"),
        CheckConstraint(_in("mode", PreferenceMode), name="mode"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[dt.datetime] = _updated()


class Unsubscribe(Base):
    """A customer contact that asked for no more customer-facing email."""

    __tablename__ = "unsubscribe"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "recorded_by"], USER),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    recorded_by: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()


class ScheduleFiring(Base):
    """One row per schedule per period: the primary key makes a period fire once, however
    many workers evaluate it however often."""

    __tablename__ = "schedule_firing"
    __table_args__ = ({"schema": SCHEMA},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    schedule: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[uuid.UUID]
    """The aggregate id of the event the firing raised."""
    fired_at: Mapped[dt.datetime] = _now()
