"""CRM's GraphQL object types and enums; inputs live in `inputs.py`, queries in
`schema.py`, mutations in `mutations.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql import Money, context, parse_id
from subgraphs.crm import loaders, models

READ, WRITE = "crm:read", "crm:write"


def opt_uuid(value: str | None) -> uuid.UUID | None:
    return parse_id(value) if value is not None else None


def gid(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def enum_value(e: Enum | None) -> str | None:
    return str(e.value) if e is not None else None


@strawberry.enum
class CustomerStatus(Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


@strawberry.enum
class CustomerKind(Enum):
    COMPANY = "COMPANY"
    INDIVIDUAL = "INDIVIDUAL"


@strawberry.enum
class LeadSource(Enum):
    WEB = "WEB"
    REFERRAL = "REFERRAL"
    EVENT = "EVENT"
    CAMPAIGN = "CAMPAIGN"
    OTHER = "OTHER"


@strawberry.enum
class LeadStatus(Enum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


@strawberry.enum
class DealStatus(Enum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum
class ActivityType(Enum):
    CALL = "CALL"
    MEETING = "MEETING"
    EMAIL = "EMAIL"
    TASK = "TASK"
    NOTE = "NOTE"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


def _user(value: uuid.UUID | None) -> User | None:
    return User(id=gid(value)) if value else None


@strawberry.type
class Address:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    @classmethod
    def of(cls, value: dict[str, Any] | None) -> Address | None:
        if value is None:
            return None
        return cls(**{k: value.get(k) for k in ADDRESS_KEYS})


ADDRESS_KEYS = ("line1", "line2", "postal_code", "city", "region", "country")


@strawberry.type
class PipelineStage:
    id: strawberry.ID
    name: str
    position: int
    probability: int

    @classmethod
    def from_model(cls, s: models.PipelineStage) -> PipelineStage:
        return cls(id=gid(s.id), name=s.name, position=s.position, probability=s.probability)


@strawberry.federation.type(keys=["id"], description="A person at a customer.")
class Contact:
    id: strawberry.ID
    name: str
    job_title: str | None
    email: str | None
    phone: str | None
    is_primary: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    customer_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, c: models.Contact) -> Contact:
        return cls(
            id=gid(c.id),
            name=c.name,
            job_title=c.job_title,
            email=c.email,
            phone=c.phone,
            is_primary=c.is_primary,
            created_at=c.created_at,
            updated_at=c.updated_at,
            customer_id=c.customer_id,
        )

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Customer:
        row = await loaders.customers(context(info)).load(self.customer_id)
        assert row is not None
        return Customer.from_model(row)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Contact | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.contacts(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.federation.type(keys=["id"], description="A company or person we sell to.")
class Customer:
    id: strawberry.ID
    kind: CustomerKind
    name: str
    legal_name: str | None
    tax_id: str | None
    email: str | None
    phone: str | None
    website: str | None
    billing_address: Address | None
    shipping_address: Address | None
    tags: list[str]
    currency: str
    payment_terms_days: int
    credit_limit: Money | None
    status: CustomerStatus
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, c: models.Customer) -> Customer:
        return cls(
            id=gid(c.id),
            kind=CustomerKind(c.kind),
            name=c.name,
            legal_name=c.legal_name,
            tax_id=c.tax_id,
            email=c.email,
            phone=c.phone,
            website=c.website,
            billing_address=Address.of(c.billing_address),
            shipping_address=Address.of(c.shipping_address),
            tags=list(c.tags),
            currency=c.currency,
            payment_terms_days=c.payment_terms_days,
            credit_limit=Money(amount=c.credit_limit, currency=c.currency)
            if c.credit_limit is not None
            else None,
            status=CustomerStatus(c.status),
            notes=c.notes,
            created_at=c.created_at,
            updated_at=c.updated_at,
            owner_id=c.owner_id,
        )

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field
    async def contacts(self, info: Info[Any, Any]) -> list[Contact]:
        rows = await loaders.contacts_by_customer(context(info)).load(parse_id(self.id))
        return [Contact.from_model(r) for r in rows]

    @strawberry.field
    async def deals(self, info: Info[Any, Any]) -> list[Deal]:
        rows = await loaders.deals_by_customer(context(info)).load(parse_id(self.id))
        return [Deal.from_model(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Customer | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.customers(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.type
class DealStageChange:
    status: DealStatus
    changed_at: dt.datetime
    from_stage_id: strawberry.Private[uuid.UUID | None]
    to_stage_id: strawberry.Private[uuid.UUID]
    changed_by_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def changed_by(self) -> User:
        return User(id=gid(self.changed_by_id))

    @strawberry.field
    async def from_stage(self, info: Info[Any, Any]) -> PipelineStage | None:
        if self.from_stage_id is None:
            return None
        row = await loaders.stages(context(info)).load(self.from_stage_id)
        return PipelineStage.from_model(row) if row else None

    @strawberry.field
    async def to_stage(self, info: Info[Any, Any]) -> PipelineStage:
        row = await loaders.stages(context(info)).load(self.to_stage_id)
        assert row is not None
        return PipelineStage.from_model(row)


@strawberry.federation.type(keys=["id"], description="A sales opportunity with a customer.")
class Deal:
    id: strawberry.ID
    title: str
    amount: Money
    probability: int
    expected_close_date: dt.date | None
    status: DealStatus
    lost_reason: str | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    customer_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, d: models.Deal) -> Deal:
        return cls(
            id=gid(d.id),
            title=d.title,
            amount=Money(amount=d.amount, currency=d.currency),
            probability=d.probability,
            expected_close_date=d.expected_close_date,
            status=DealStatus(d.status),
            lost_reason=d.lost_reason,
            closed_at=d.closed_at,
            created_at=d.created_at,
            customer_id=d.customer_id,
            stage_id=d.stage_id,
            owner_id=d.owner_id,
        )

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Customer:
        row = await loaders.customers(context(info)).load(self.customer_id)
        assert row is not None
        return Customer.from_model(row)

    @strawberry.field
    async def stage(self, info: Info[Any, Any]) -> PipelineStage:
        row = await loaders.stages(context(info)).load(self.stage_id)
        assert row is not None
        return PipelineStage.from_model(row)

    @strawberry.field(description="Every stage change, win or loss, oldest first.")
    async def history(self, info: Info[Any, Any]) -> list[DealStageChange]:
        rows = await loaders.history_by_deal(context(info)).load(parse_id(self.id))
        return [
            DealStageChange(
                status=DealStatus(r.status),
                changed_at=r.changed_at,
                from_stage_id=r.from_stage_id,
                to_stage_id=r.to_stage_id,
                changed_by_id=r.changed_by,
            )
            for r in rows
        ]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Deal | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.deals(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.federation.type(keys=["id"], description="A prospect not yet a customer.")
class Lead:
    id: strawberry.ID
    name: str
    company_name: str | None
    email: str | None
    phone: str | None
    source: LeadSource
    status: LeadStatus
    lost_reason: str | None
    converted_at: dt.datetime | None
    created_at: dt.datetime
    owner_id: strawberry.Private[uuid.UUID | None]
    customer_id: strawberry.Private[uuid.UUID | None]
    deal_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, r: models.Lead) -> Lead:
        return cls(
            id=gid(r.id),
            name=r.name,
            company_name=r.company_name,
            email=r.email,
            phone=r.phone,
            source=LeadSource(r.source),
            status=LeadStatus(r.status),
            lost_reason=r.lost_reason,
            converted_at=r.converted_at,
            created_at=r.created_at,
            owner_id=r.owner_id,
            customer_id=r.customer_id,
            deal_id=r.deal_id,
        )

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field(description="The customer the lead was converted into.")
    async def customer(self, info: Info[Any, Any]) -> Customer | None:
        if self.customer_id is None:
            return None
        row = await loaders.customers(context(info)).load(self.customer_id)
        return Customer.from_model(row) if row else None

    @strawberry.field(description="The deal created when the lead was converted.")
    async def deal(self, info: Info[Any, Any]) -> Deal | None:
        if self.deal_id is None:
            return None
        row = await loaders.deals(context(info)).load(self.deal_id)
        return Deal.from_model(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Lead | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.leads(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.type
class Activity:
    id: strawberry.ID
    type: ActivityType
    subject: str
    notes: str
    due_at: dt.datetime | None
    done: bool
    done_at: dt.datetime | None
    created_at: dt.datetime
    customer_id: strawberry.Private[uuid.UUID | None]
    contact_id: strawberry.Private[uuid.UUID | None]
    lead_id: strawberry.Private[uuid.UUID | None]
    deal_id: strawberry.Private[uuid.UUID | None]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, a: models.Activity) -> Activity:
        return cls(
            id=gid(a.id),
            type=ActivityType(a.type),
            subject=a.subject,
            notes=a.notes,
            due_at=a.due_at,
            done=a.done,
            done_at=a.done_at,
            created_at=a.created_at,
            customer_id=a.customer_id,
            contact_id=a.contact_id,
            lead_id=a.lead_id,
            deal_id=a.deal_id,
            owner_id=a.owner_id,
        )

    @strawberry.field
    def overdue(self) -> bool:
        return not self.done and self.due_at is not None and self.due_at < dt.datetime.now(dt.UTC)

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Customer | None:
        row = (
            await loaders.customers(context(info)).load(self.customer_id)
            if self.customer_id
            else None
        )
        return Customer.from_model(row) if row else None

    @strawberry.field
    async def contact(self, info: Info[Any, Any]) -> Contact | None:
        row = (
            await loaders.contacts(context(info)).load(self.contact_id) if self.contact_id else None
        )
        return Contact.from_model(row) if row else None

    @strawberry.field
    async def lead(self, info: Info[Any, Any]) -> Lead | None:
        row = await loaders.leads(context(info)).load(self.lead_id) if self.lead_id else None
        return Lead.from_model(row) if row else None

    @strawberry.field
    async def deal(self, info: Info[Any, Any]) -> Deal | None:
        row = await loaders.deals(context(info)).load(self.deal_id) if self.deal_id else None
        return Deal.from_model(row) if row else None


@strawberry.type
class StageFigures:
    stage: PipelineStage
    count: int
    amount: Money
    weighted_amount: Money


@strawberry.type
class Pipeline:
    currency: str
    stages: list[StageFigures]


@strawberry.type
class CrmStats:
    deals_created: int
    deals_won: int
    deals_lost: int
    win_rate: Decimal | None = strawberry.field(description="won / (won + lost), 0..1")
    leads_created: int
    leads_converted: int
    lead_conversion_rate: Decimal | None = strawberry.field(
        description="Leads converted / leads created in the period, 0..1"
    )
