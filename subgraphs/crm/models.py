"""Tables of the `crm` schema, and every state and kind of its rows as a `StrEnum` (the one
source: the GraphQL enums are these, and the rules compare with their members).

Search keys (`name_key`, `email_key`, `tax_key`) are stored generated columns in the "C"
collation: row-level security only lets the planner use an index for a user's condition
when its operator is leakproof, and the prefix operator `^@` and the text comparisons
are, while `LIKE`/`ILIKE`, `lower()` and full-text matching are not.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base

SCHEMA = "crm"
MONEY = Numeric(18, 4)
USER = ["identity.user.tenant_id", "identity.user.id"]


class CustomerKind(StrEnum):
    COMPANY = "COMPANY"
    INDIVIDUAL = "INDIVIDUAL"


class CustomerStatus(StrEnum):
    """ACTIVE customers take orders; ARCHIVED ones are read-only."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class LeadSource(StrEnum):
    WEB = "WEB"
    REFERRAL = "REFERRAL"
    EVENT = "EVENT"
    CAMPAIGN = "CAMPAIGN"
    OTHER = "OTHER"


class LeadStatus(StrEnum):
    """NEW -> CONTACTED -> QUALIFIED -> CONVERTED, or LOST from any open status."""

    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


class DealStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class ActivityType(StrEnum):
    CALL = "CALL"
    MEETING = "MEETING"
    EMAIL = "EMAIL"
    TASK = "TASK"
    NOTE = "NOTE"


_TAX_NOISE = re.compile(r"[^A-Za-z0-9]")


def tax_key(tax_id: str) -> str:
    """The form tax-id uniqueness and search compare: what the `tax_key` column computes."""
    return _TAX_NOISE.sub("", tax_id).lower()


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


def _fk(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{SCHEMA}.{table}.tenant_id", f"{SCHEMA}.{table}.id"]
    )


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], USER),
        UniqueConstraint("tenant_id", "email_key"),
        UniqueConstraint("tenant_id", "tax_key"),
        Index("ix_customer_tenant_id_name_key", "tenant_id", "name_key"),
        Index("ix_customer_tenant_id_owner_id", "tenant_id", "owner_id"),
        Index("ix_customer_tenant_id_created_at", "tenant_id", "created_at"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16), server_default=CustomerKind.COMPANY.value)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(254))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), server_default="{}")
    owner_id: Mapped[uuid.UUID | None]
    currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    payment_terms_days: Mapped[int] = mapped_column(Integer, server_default="30")
    credit_limit: Mapped[Decimal | None] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(16), server_default=CustomerStatus.ACTIVE.value)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()
    name_key: Mapped[str] = mapped_column(
        String(200, collation="C"), Computed("lower((name)::text)", persisted=True)
    )
    email_key: Mapped[str | None] = mapped_column(
        String(254, collation="C"), Computed("lower((email)::text)", persisted=True)
    )
    tax_key: Mapped[str | None] = mapped_column(
        String(50, collation="C"),
        Computed("lower(regexp_replace((tax_id)::text, '[^A-Za-z0-9]', '', 'g'))", persisted=True),
    )


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        _fk("customer_id", "customer"),
        Index("ix_contact_tenant_id_customer_id", "tenant_id", "customer_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class PipelineStage(Base):
    __tablename__ = "pipeline_stage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "position"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)


class Lead(Base):
    __tablename__ = "lead"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], USER),
        _fk("customer_id", "customer"),
        Index("ix_lead_tenant_id_status", "tenant_id", "status"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    company_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default=LeadStatus.NEW.value)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None]
    customer_id: Mapped[uuid.UUID | None]
    deal_id: Mapped[uuid.UUID | None]
    converted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class Deal(Base):
    __tablename__ = "deal"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], USER),
        _fk("customer_id", "customer"),
        _fk("stage_id", "pipeline_stage"),
        Index("ix_deal_tenant_id_customer_id", "tenant_id", "customer_id"),
        Index("ix_deal_tenant_id_stage_id", "tenant_id", "stage_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    stage_id: Mapped[uuid.UUID]
    probability: Mapped[int] = mapped_column(Integer)
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(16), server_default=DealStatus.OPEN.value)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _updated()


class DealStageChange(Base):
    """One row per stage move, win or loss: the deal's history, with who and when."""

    __tablename__ = "deal_stage_change"
    __table_args__ = (
        _fk("deal_id", "deal"),
        _fk("from_stage_id", "pipeline_stage"),
        _fk("to_stage_id", "pipeline_stage"),
        ForeignKeyConstraint(["tenant_id", "changed_by"], USER),
        Index("ix_deal_stage_change_tenant_id_deal_id", "tenant_id", "deal_id"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    deal_id: Mapped[uuid.UUID]
    from_stage_id: Mapped[uuid.UUID | None]
    to_stage_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[uuid.UUID]
    changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )


class Activity(Base):
    __tablename__ = "activity"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "owner_id"], USER),
        _fk("customer_id", "customer"),
        _fk("contact_id", "contact"),
        _fk("lead_id", "lead"),
        _fk("deal_id", "deal"),
        CheckConstraint(
            "num_nonnulls(customer_id, contact_id, lead_id, deal_id) >= 1", name="linked"
        ),
        Index("ix_activity_tenant_id_due_at", "tenant_id", "due_at"),
        {"schema": SCHEMA},
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, server_default="")
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done: Mapped[bool] = mapped_column(Boolean, server_default="false")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    customer_id: Mapped[uuid.UUID | None]
    contact_id: Mapped[uuid.UUID | None]
    lead_id: Mapped[uuid.UUID | None]
    deal_id: Mapped[uuid.UUID | None]
    owner_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = _now()
