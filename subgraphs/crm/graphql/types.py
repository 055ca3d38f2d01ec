"""CRM's GraphQL object types, entities and enums (the enums are the models' states)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql.ids import to_id
from shared.graphql.resolvers import load_many, load_one, load_required, reference
from shared.graphql.types import Money
from subgraphs.crm import models, reads
from subgraphs.crm.graphql import loaders
from subgraphs.crm.models import (
    ActivityType,
    CustomerKind,
    CustomerStatus,
    DealStatus,
    LeadSource,
    LeadStatus,
)

READ, WRITE = "crm:read", "crm:write"

# The models' states are the GraphQL enums: one source for names and values.
for _state in (CustomerStatus, CustomerKind, LeadSource, LeadStatus, DealStatus, ActivityType):
    strawberry.enum(_state)


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


def _user(value: uuid.UUID | None) -> User | None:
    return User(id=to_id(value)) if value else None


ADDRESS_KEYS = ("line1", "line2", "postal_code", "city", "region", "country")


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


@strawberry.type
class PipelineStage:
    id: strawberry.ID
    name: str
    position: int
    probability: int

    @classmethod
    def from_model(cls, s: models.PipelineStage) -> PipelineStage:
        return cls(id=to_id(s.id), name=s.name, position=s.position, probability=s.probability)


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
            id=to_id(c.id),
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
        return await load_required(info, loaders.customers, self.customer_id, Customer.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Contact | None:
        return await reference(info, READ, loaders.contacts, id, cls.from_model)


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
    row_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, c: models.Customer) -> Customer:
        return cls(
            id=to_id(c.id),
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
            row_id=c.id,
            owner_id=c.owner_id,
        )

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field
    async def contacts(self, info: Info[Any, Any]) -> list[Contact]:
        return await load_many(info, loaders.contacts_by_customer, self.row_id, Contact.from_model)

    @strawberry.field
    async def deals(self, info: Info[Any, Any]) -> list[Deal]:
        return await load_many(info, loaders.deals_by_customer, self.row_id, Deal.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Customer | None:
        return await reference(info, READ, loaders.customers, id, cls.from_model)


@strawberry.type
class DealStageChange:
    status: DealStatus
    changed_at: dt.datetime
    from_stage_id: strawberry.Private[uuid.UUID | None]
    to_stage_id: strawberry.Private[uuid.UUID]
    changed_by_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, r: models.DealStageChange) -> DealStageChange:
        return cls(
            status=DealStatus(r.status),
            changed_at=r.changed_at,
            from_stage_id=r.from_stage_id,
            to_stage_id=r.to_stage_id,
            changed_by_id=r.changed_by,
        )

    @strawberry.field(
        description="Null only when identity cannot answer: a change always has an author."
    )
    def changed_by(self) -> User | None:
        return User(id=to_id(self.changed_by_id))

    @strawberry.field
    async def from_stage(self, info: Info[Any, Any]) -> PipelineStage | None:
        return await load_one(info, loaders.stages, self.from_stage_id, PipelineStage.from_model)

    @strawberry.field
    async def to_stage(self, info: Info[Any, Any]) -> PipelineStage:
        return await load_required(info, loaders.stages, self.to_stage_id, PipelineStage.from_model)


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
    row_id: strawberry.Private[uuid.UUID]
    customer_id: strawberry.Private[uuid.UUID]
    stage_id: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, d: models.Deal) -> Deal:
        return cls(
            id=to_id(d.id),
            title=d.title,
            amount=Money(amount=d.amount, currency=d.currency),
            probability=d.probability,
            expected_close_date=d.expected_close_date,
            status=DealStatus(d.status),
            lost_reason=d.lost_reason,
            closed_at=d.closed_at,
            created_at=d.created_at,
            row_id=d.id,
            customer_id=d.customer_id,
            stage_id=d.stage_id,
            owner_id=d.owner_id,
        )

    @strawberry.field
    def owner(self) -> User | None:
        return _user(self.owner_id)

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Customer:
        return await load_required(info, loaders.customers, self.customer_id, Customer.from_model)

    @strawberry.field
    async def stage(self, info: Info[Any, Any]) -> PipelineStage:
        return await load_required(info, loaders.stages, self.stage_id, PipelineStage.from_model)

    @strawberry.field(description="Every stage change, win or loss, oldest first.")
    async def history(self, info: Info[Any, Any]) -> list[DealStageChange]:
        return await load_many(
            info, loaders.history_by_deal, self.row_id, DealStageChange.from_model
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Deal | None:
        return await reference(info, READ, loaders.deals, id, cls.from_model)


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
            id=to_id(r.id),
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
        return await load_one(info, loaders.customers, self.customer_id, Customer.from_model)

    @strawberry.field(description="The deal created when the lead was converted.")
    async def deal(self, info: Info[Any, Any]) -> Deal | None:
        return await load_one(info, loaders.deals, self.deal_id, Deal.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Lead | None:
        return await reference(info, READ, loaders.leads, id, cls.from_model)


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
            id=to_id(a.id),
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
        return await load_one(info, loaders.customers, self.customer_id, Customer.from_model)

    @strawberry.field
    async def contact(self, info: Info[Any, Any]) -> Contact | None:
        return await load_one(info, loaders.contacts, self.contact_id, Contact.from_model)

    @strawberry.field
    async def lead(self, info: Info[Any, Any]) -> Lead | None:
        return await load_one(info, loaders.leads, self.lead_id, Lead.from_model)

    @strawberry.field
    async def deal(self, info: Info[Any, Any]) -> Deal | None:
        return await load_one(info, loaders.deals, self.deal_id, Deal.from_model)


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

    @classmethod
    def of(cls, p: reads.PipelineFigures) -> Pipeline:
        return cls(
            currency=p.currency,
            stages=[
                StageFigures(
                    stage=PipelineStage.from_model(f.stage),
                    count=f.count,
                    amount=Money(amount=f.amount, currency=p.currency),
                    weighted_amount=Money(amount=f.weighted_amount, currency=p.currency),
                )
                for f in p.stages
            ],
        )


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

    @classmethod
    def of(cls, s: reads.CrmStats) -> CrmStats:
        return cls(
            deals_created=s.deals_created,
            deals_won=s.deals_won,
            deals_lost=s.deals_lost,
            win_rate=s.win_rate,
            leads_created=s.leads_created,
            leads_converted=s.leads_converted,
            lead_conversion_rate=s.lead_conversion_rate,
        )
