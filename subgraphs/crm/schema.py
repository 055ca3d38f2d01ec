"""CRM's GraphQL types, queries and mutations. Thin: parse, call the service, map."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.errors import BadUserInput, InvalidInput
from shared.graphql import UserError, context, parse_id, perform
from shared.pagination import Connection
from subgraphs.crm import loaders, models, pipeline, service
from subgraphs.identity import service as identity

READ, WRITE = "crm:read", "crm:write"


def _opt(value: str | None) -> uuid.UUID | None:
    return parse_id(value) if value is not None else None


def _id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


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
    return User(id=_id(value)) if value else None


@strawberry.type
class Money:
    amount: Decimal
    currency: str


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


@strawberry.input
class AddressInput:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ADDRESS_KEYS}


@strawberry.type
class PipelineStage:
    id: strawberry.ID
    name: str
    position: int
    probability: int

    @classmethod
    def from_model(cls, s: models.PipelineStage) -> PipelineStage:
        return cls(id=_id(s.id), name=s.name, position=s.position, probability=s.probability)


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
            id=_id(c.id),
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
            id=_id(c.id),
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
        return User(id=_id(self.changed_by_id))

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
            id=_id(d.id),
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
            id=_id(r.id),
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
            id=_id(a.id),
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


# --- query inputs -------------------------------------------------------------------


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive prefix of the name, email or tax id."
    )
    status: CustomerStatus | None = None
    owner_id: strawberry.ID | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Customers with all of these tags."
    )


@strawberry.enum
class CustomerOrderField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class ContactFilter:
    search: str | None = None
    customer_id: strawberry.ID | None = None


@strawberry.input
class LeadFilter:
    search: str | None = None
    status: LeadStatus | None = None
    source: LeadSource | None = None
    owner_id: strawberry.ID | None = None


@strawberry.input
class DealFilter:
    search: str | None = None
    status: DealStatus | None = None
    stage_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None


@strawberry.enum
class DealOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    AMOUNT = "AMOUNT"
    TITLE = "TITLE"


@strawberry.input
class DealOrder:
    field: DealOrderField = DealOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.enum
class LeadOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    NAME = "NAME"


@strawberry.input
class LeadOrder:
    field: LeadOrderField = LeadOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class ActivityFilter:
    overdue: bool | None = None
    done: bool | None = None
    type: ActivityType | None = None
    customer_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    deal_id: strawberry.ID | None = None
    lead_id: strawberry.ID | None = None


def _val(e: Enum | None) -> str | None:
    return str(e.value) if e is not None else None


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: Info[Any, Any], id: strawberry.ID) -> Customer | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.customers(ctx).load(parse_id(id))
        return Customer.from_model(row) if row else None

    @strawberry.field
    async def customers(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f, o = filter or CustomerFilter(), order_by or CustomerOrder()
        async with ctx.session() as session:
            page = await service.list_customers(
                session,
                tenant,
                filter=service.CustomerFilter(
                    search=f.search,
                    status=_val(f.status),
                    owner_id=_opt(f.owner_id),
                    tags=f.tags or (),
                ),
                order_by=o.field.value,
                descending=o.direction is SortDirection.DESC,
                first=first,
                after=after,
            )
        return Connection.of(page, Customer.from_model)

    @strawberry.field
    async def contacts(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ContactFilter | None = None,
    ) -> Connection[Contact]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or ContactFilter()
        async with ctx.session() as session:
            page = await service.list_contacts(
                session,
                tenant,
                filter=service.ContactFilter(search=f.search, customer_id=_opt(f.customer_id)),
                first=first,
                after=after,
            )
        return Connection.of(page, Contact.from_model)

    @strawberry.field
    async def leads(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: LeadFilter | None = None,
        order_by: LeadOrder | None = None,
    ) -> Connection[Lead]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or LeadFilter()
        o = order_by or LeadOrder()
        async with ctx.session() as session:
            page = await service.list_leads(
                session,
                tenant,
                filter=service.LeadFilter(
                    search=f.search,
                    status=_val(f.status),
                    source=_val(f.source),
                    owner_id=_opt(f.owner_id),
                ),
                order_by=o.field.value,
                descending=o.direction is SortDirection.DESC,
                first=first,
                after=after,
            )
        return Connection.of(page, Lead.from_model)

    @strawberry.field
    async def deals(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: DealFilter | None = None,
        order_by: DealOrder | None = None,
    ) -> Connection[Deal]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f, o = filter or DealFilter(), order_by or DealOrder()
        async with ctx.session() as session:
            page = await service.list_deals(
                session,
                tenant,
                filter=service.DealFilter(
                    search=f.search,
                    status=_val(f.status),
                    stage_id=_opt(f.stage_id),
                    owner_id=_opt(f.owner_id),
                    customer_id=_opt(f.customer_id),
                ),
                order_by=o.field.value,
                descending=o.direction is SortDirection.DESC,
                first=first,
                after=after,
            )
        return Connection.of(page, Deal.from_model)

    @strawberry.field
    async def activities(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ActivityFilter | None = None,
    ) -> Connection[Activity]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or ActivityFilter()
        async with ctx.session() as session:
            page = await service.list_activities(
                session,
                tenant,
                filter=service.ActivityFilter(
                    overdue=f.overdue,
                    done=f.done,
                    type=_val(f.type),
                    customer_id=_opt(f.customer_id),
                    contact_id=_opt(f.contact_id),
                    deal_id=_opt(f.deal_id),
                    lead_id=_opt(f.lead_id),
                ),
                first=first,
                after=after,
            )
        return Connection.of(page, Activity.from_model)

    @strawberry.field(description="Open deals per stage in one currency (default: the tenant's).")
    async def pipeline(self, info: Info[Any, Any], currency: str | None = None) -> Pipeline:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            if currency is None:
                row = await identity.get_tenant(session, tenant)
                currency = row.base_currency if row else "EUR"
            stages = await service.list_stages(session, tenant)
            if not stages:
                # A read transaction cannot insert: the defaults get their own.
                stages = await service.ensure_default_stages(ctx.runtime.db, tenant)
            figures = await service.pipeline(
                session, tenant, stages=stages, currency=currency.upper()
            )
        cur = currency.upper()
        return Pipeline(
            currency=cur,
            stages=[
                StageFigures(
                    stage=PipelineStage.from_model(f.stage),
                    count=f.count,
                    amount=Money(amount=f.amount, currency=cur),
                    weighted_amount=Money(amount=f.weighted_amount, currency=cur),
                )
                for f in figures
            ],
        )

    @strawberry.field(
        name="crmStats", description="Figures for the days `from`..`to` inclusive (UTC)."
    )
    async def crm_stats(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> CrmStats:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            try:
                s = await service.crm_stats(session, tenant, start=from_, end=to)
            except InvalidInput as exc:
                raise BadUserInput(exc.problems[0].message, argument="to") from exc
        return CrmStats(
            deals_created=s.deals_created,
            deals_won=s.deals_won,
            deals_lost=s.deals_lost,
            win_rate=s.win_rate,
            leads_created=s.leads_created,
            leads_converted=s.leads_converted,
            lead_conversion_rate=s.lead_conversion_rate,
        )


# --- mutations ----------------------------------------------------------------------


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactPayload:
    contact: Contact | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LeadPayload:
    lead: Lead | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConvertLeadPayload:
    lead: Lead | None = None
    customer: Customer | None = None
    contact: Contact | None = None
    deal: Deal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DealPayload:
    deal: Deal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ActivityPayload:
    activity: Activity | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateCustomerInput:
    name: str
    kind: CustomerKind = CustomerKind.COMPANY
    legal_name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    billing_address: AddressInput | None = None
    shipping_address: AddressInput | None = None
    tags: list[str] | None = None
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Default: you.")
    currency: str = "EUR"
    payment_terms_days: int = 30
    credit_limit: Decimal | None = None
    notes: str | None = None


@strawberry.input(description="Fields left out (null) stay unchanged.")
class UpdateCustomerInput:
    id: strawberry.ID
    name: str | None = None
    kind: CustomerKind | None = None
    legal_name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    billing_address: AddressInput | None = None
    shipping_address: AddressInput | None = None
    tags: list[str] | None = None
    owner_id: strawberry.ID | None = None
    currency: str | None = None
    payment_terms_days: int | None = None
    credit_limit: Decimal | None = None
    notes: str | None = None


def _customer_fields(i: CreateCustomerInput | UpdateCustomerInput) -> service.CustomerFields:
    return service.CustomerFields(
        name=i.name,
        kind=_val(i.kind),
        legal_name=i.legal_name,
        tax_id=i.tax_id,
        email=i.email,
        phone=i.phone,
        website=i.website,
        billing_address=i.billing_address.to_dict() if i.billing_address else None,
        shipping_address=i.shipping_address.to_dict() if i.shipping_address else None,
        tags=i.tags,
        owner_id=_opt(i.owner_id),
        currency=i.currency,
        payment_terms_days=i.payment_terms_days,
        credit_limit=i.credit_limit,
        notes=i.notes,
    )


@strawberry.input
class CustomerIdInput:
    id: strawberry.ID


@strawberry.input
class CreateContactInput:
    customer_id: strawberry.ID
    name: str
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool = False


@strawberry.input
class UpdateContactInput:
    id: strawberry.ID
    name: str | None = None
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool | None = None


@strawberry.input
class CreateLeadInput:
    name: str
    source: LeadSource
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    owner_id: strawberry.ID | None = None


@strawberry.input
class UpdateLeadInput:
    id: strawberry.ID
    name: str | None = None
    source: LeadSource | None = None
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    owner_id: strawberry.ID | None = None
    status: LeadStatus | None = strawberry.field(default=None, description="Only NEW or CONTACTED.")


@strawberry.input
class LeadIdInput:
    id: strawberry.ID


@strawberry.input
class LoseInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class ConvertLeadInput:
    lead_id: strawberry.ID
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Link an existing customer instead of creating one."
    )
    deal_title: str | None = None
    amount: Decimal | None = None


@strawberry.input
class CreateDealInput:
    customer_id: strawberry.ID
    title: str
    amount: Decimal
    currency: str | None = strawberry.field(default=None, description="Default: the customer's.")
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the first."
    )
    probability: int | None = strawberry.field(default=None, description="Default: the stage's.")
    expected_close_date: dt.date | None = None
    owner_id: strawberry.ID | None = None


@strawberry.input
class UpdateDealInput:
    id: strawberry.ID
    title: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    probability: int | None = None
    expected_close_date: dt.date | None = None
    owner_id: strawberry.ID | None = None


@strawberry.input
class MoveDealInput:
    id: strawberry.ID
    stage_id: strawberry.ID


@strawberry.input
class DealIdInput:
    id: strawberry.ID


@strawberry.input
class CreateActivityInput:
    type: ActivityType
    subject: str
    notes: str = ""
    due_at: dt.datetime | None = None
    customer_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    lead_id: strawberry.ID | None = None
    deal_id: strawberry.ID | None = None


@strawberry.input
class ActivityIdInput:
    id: strawberry.ID


def _customer(row: models.Customer | None, errors: list[UserError]) -> CustomerPayload:
    return CustomerPayload(customer=Customer.from_model(row) if row else None, errors=errors)


def _contact(row: models.Contact | None, errors: list[UserError]) -> ContactPayload:
    return ContactPayload(contact=Contact.from_model(row) if row else None, errors=errors)


def _lead(row: models.Lead | None, errors: list[UserError]) -> LeadPayload:
    return LeadPayload(lead=Lead.from_model(row) if row else None, errors=errors)


def _deal(row: models.Deal | None, errors: list[UserError]) -> DealPayload:
    return DealPayload(deal=Deal.from_model(row) if row else None, errors=errors)


def _lead_fields(i: CreateLeadInput | UpdateLeadInput) -> service.LeadFields:
    return service.LeadFields(
        name=i.name,
        company_name=i.company_name,
        email=i.email,
        phone=i.phone,
        source=_val(i.source),
        owner_id=_opt(i.owner_id),
        status=_val(i.status) if isinstance(i, UpdateLeadInput) else None,
    )


@strawberry.input
class PipelineStageInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing stage to keep; omit to create one."
    )
    name: str
    probability: int = strawberry.field(description="Default probability of deals, 0-100.")


@strawberry.input
class ConfigurePipelineInput:
    stages: list[PipelineStageInput] = strawberry.field(
        description="The whole pipeline in order; existing stages left out are removed."
    )


@strawberry.type
class PipelinePayload:
    stages: list[PipelineStage] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Set the pipeline's stages, their order and probabilities.")
    async def configure_pipeline(
        self, info: Info[Any, Any], input: ConfigurePipelineInput
    ) -> PipelinePayload:
        specs = [
            pipeline.StageSpec(
                id=parse_id(s.id) if s.id is not None else None,
                name=s.name,
                probability=s.probability,
            )
            for s in input.stages
        ]
        rows, errors = await perform(
            info, WRITE, lambda s, p: pipeline.configure_pipeline(s, p.tenant_id, stages=specs)
        )
        return PipelinePayload(
            stages=[PipelineStage.from_model(r) for r in rows] if rows is not None else None,
            errors=errors,
        )

    @strawberry.mutation
    async def create_customer(
        self, info: Info[Any, Any], input: CreateCustomerInput
    ) -> CustomerPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_customer(
                s, p.tenant_id, fields=_customer_fields(input), actor=p.user_id
            ),
        )
        return _customer(row, errors)

    @strawberry.mutation
    async def update_customer(
        self, info: Info[Any, Any], input: UpdateCustomerInput
    ) -> CustomerPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_customer(
                s, p.tenant_id, customer_id=parse_id(input.id), fields=_customer_fields(input)
            ),
        )
        return _customer(row, errors)

    @strawberry.mutation(description="Archived customers are read-only and cannot be ordered for.")
    async def archive_customer(
        self, info: Info[Any, Any], input: CustomerIdInput
    ) -> CustomerPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.set_customer_status(
                s, p.tenant_id, customer_id=parse_id(input.id), archived=True
            ),
        )
        return _customer(row, errors)

    @strawberry.mutation
    async def unarchive_customer(
        self, info: Info[Any, Any], input: CustomerIdInput
    ) -> CustomerPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.set_customer_status(
                s, p.tenant_id, customer_id=parse_id(input.id), archived=False
            ),
        )
        return _customer(row, errors)

    @strawberry.mutation
    async def create_contact(
        self, info: Info[Any, Any], input: CreateContactInput
    ) -> ContactPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_contact(
                s,
                p.tenant_id,
                customer_id=parse_id(input.customer_id),
                name=input.name,
                job_title=input.job_title,
                email=input.email,
                phone=input.phone,
                is_primary=input.is_primary,
            ),
        )
        return _contact(row, errors)

    @strawberry.mutation
    async def update_contact(
        self, info: Info[Any, Any], input: UpdateContactInput
    ) -> ContactPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_contact(
                s,
                p.tenant_id,
                contact_id=parse_id(input.id),
                name=input.name,
                job_title=input.job_title,
                email=input.email,
                phone=input.phone,
                is_primary=input.is_primary,
            ),
        )
        return _contact(row, errors)

    @strawberry.mutation
    async def create_lead(self, info: Info[Any, Any], input: CreateLeadInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_lead(
                s, p.tenant_id, actor=p.user_id, fields=_lead_fields(input)
            ),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def update_lead(self, info: Info[Any, Any], input: UpdateLeadInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_lead(
                s, p.tenant_id, lead_id=parse_id(input.id), fields=_lead_fields(input)
            ),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def qualify_lead(self, info: Info[Any, Any], input: LeadIdInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.qualify_lead(s, p.tenant_id, lead_id=parse_id(input.id)),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def lose_lead(self, info: Info[Any, Any], input: LoseInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.lose_lead(
                s, p.tenant_id, lead_id=parse_id(input.id), reason=input.reason
            ),
        )
        return _lead(row, errors)

    @strawberry.mutation(
        description="Creates or links a customer, a contact and a deal, atomically."
    )
    async def convert_lead(
        self, info: Info[Any, Any], input: ConvertLeadInput
    ) -> ConvertLeadPayload:
        result, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.convert_lead(
                s,
                p.tenant_id,
                actor=p.user_id,
                lead_id=parse_id(input.lead_id),
                customer_id=_opt(input.customer_id),
                deal_title=input.deal_title,
                amount=input.amount,
            ),
        )
        if result is None:
            return ConvertLeadPayload(errors=errors)
        return ConvertLeadPayload(
            lead=Lead.from_model(result.lead),
            customer=Customer.from_model(result.customer),
            contact=Contact.from_model(result.contact),
            deal=Deal.from_model(result.deal),
        )

    @strawberry.mutation
    async def create_deal(self, info: Info[Any, Any], input: CreateDealInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_deal(
                s,
                p.tenant_id,
                actor=p.user_id,
                customer_id=parse_id(input.customer_id),
                title=input.title,
                amount=input.amount,
                currency=input.currency,
                stage_id=_opt(input.stage_id),
                probability=input.probability,
                expected_close_date=input.expected_close_date,
                owner_id=_opt(input.owner_id),
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def update_deal(self, info: Info[Any, Any], input: UpdateDealInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_deal(
                s,
                p.tenant_id,
                deal_id=parse_id(input.id),
                title=input.title,
                amount=input.amount,
                currency=input.currency,
                probability=input.probability,
                expected_close_date=input.expected_close_date,
                owner_id=_opt(input.owner_id),
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def move_deal(self, info: Info[Any, Any], input: MoveDealInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.move_deal(
                s,
                p.tenant_id,
                actor=p.user_id,
                deal_id=parse_id(input.id),
                stage_id=parse_id(input.stage_id),
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def win_deal(self, info: Info[Any, Any], input: DealIdInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.close_deal(
                s, p.tenant_id, actor=p.user_id, deal_id=parse_id(input.id), won=True
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def lose_deal(self, info: Info[Any, Any], input: LoseInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.close_deal(
                s,
                p.tenant_id,
                actor=p.user_id,
                deal_id=parse_id(input.id),
                won=False,
                reason=input.reason,
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def create_activity(
        self, info: Info[Any, Any], input: CreateActivityInput
    ) -> ActivityPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_activity(
                s,
                p.tenant_id,
                actor=p.user_id,
                type=input.type.value,
                subject=input.subject,
                notes=input.notes,
                due_at=input.due_at,
                links=service.ActivityLinks(
                    customer_id=_opt(input.customer_id),
                    contact_id=_opt(input.contact_id),
                    lead_id=_opt(input.lead_id),
                    deal_id=_opt(input.deal_id),
                ),
            ),
        )
        return ActivityPayload(activity=Activity.from_model(row) if row else None, errors=errors)

    @strawberry.mutation
    async def complete_activity(
        self, info: Info[Any, Any], input: ActivityIdInput
    ) -> ActivityPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.complete_activity(s, p.tenant_id, activity_id=parse_id(input.id)),
        )
        return ActivityPayload(activity=Activity.from_model(row) if row else None, errors=errors)
