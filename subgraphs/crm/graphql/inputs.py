"""CRM's GraphQL input types (query filters and orders, mutation inputs) and their
conversion to the services' arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from shared.graphql.ids import parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.crm import activities, customers, leads, pipeline, reads
from subgraphs.crm.graphql.types import ADDRESS_KEYS
from subgraphs.crm.models import (
    ActivityType,
    CustomerKind,
    CustomerStatus,
    DealStatus,
    LeadSource,
    LeadStatus,
)


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


# --- query inputs -------------------------------------------------------------------


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None,
        description=(
            "Every word starts a word of the name or legal name (case and accents"
            " ignored), or the text starts the email or tax id."
        ),
    )
    status: CustomerStatus | None = None
    owner_id: strawberry.ID | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Customers with all of these tags."
    )

    def to_filter(self) -> reads.CustomerFilter:
        return reads.CustomerFilter(
            search=self.search,
            status=self.status,
            owner_id=parse_opt_id(self.owner_id),
            tags=self.tags or (),
        )


@strawberry.enum
class CustomerOrderField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.NAME
    direction: SortDirection = SortDirection.ASC

    def to_sort(self) -> dict[str, Any]:
        return {"order_by": self.field.value, "descending": self.direction is SortDirection.DESC}


@strawberry.input
class ContactFilter:
    search: str | None = None
    customer_id: strawberry.ID | None = None

    def to_filter(self) -> reads.ContactFilter:
        return reads.ContactFilter(search=self.search, customer_id=parse_opt_id(self.customer_id))


@strawberry.input
class LeadFilter:
    search: str | None = None
    status: LeadStatus | None = None
    source: LeadSource | None = None
    owner_id: strawberry.ID | None = None

    def to_filter(self) -> reads.LeadFilter:
        return reads.LeadFilter(
            search=self.search,
            status=self.status,
            source=self.source,
            owner_id=parse_opt_id(self.owner_id),
        )


@strawberry.input
class DealFilter:
    search: str | None = None
    status: DealStatus | None = None
    stage_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None

    def to_filter(self) -> reads.DealFilter:
        return reads.DealFilter(
            search=self.search,
            status=self.status,
            stage_id=parse_opt_id(self.stage_id),
            owner_id=parse_opt_id(self.owner_id),
            customer_id=parse_opt_id(self.customer_id),
        )


@strawberry.enum
class DealOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    AMOUNT = "AMOUNT"
    TITLE = "TITLE"


@strawberry.input
class DealOrder:
    field: DealOrderField = DealOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC

    def to_sort(self) -> dict[str, Any]:
        return {"order_by": self.field.value, "descending": self.direction is SortDirection.DESC}


@strawberry.enum
class LeadOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    NAME = "NAME"


@strawberry.input
class LeadOrder:
    field: LeadOrderField = LeadOrderField.CREATED_AT
    direction: SortDirection = SortDirection.DESC

    def to_sort(self) -> dict[str, Any]:
        return {"order_by": self.field.value, "descending": self.direction is SortDirection.DESC}


@strawberry.input
class ActivityFilter:
    overdue: bool | None = None
    done: bool | None = None
    type: ActivityType | None = None
    customer_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    deal_id: strawberry.ID | None = None
    lead_id: strawberry.ID | None = None

    def to_filter(self) -> reads.ActivityFilter:
        return reads.ActivityFilter(
            overdue=self.overdue,
            done=self.done,
            type=self.type,
            customer_id=parse_opt_id(self.customer_id),
            contact_id=parse_opt_id(self.contact_id),
            deal_id=parse_opt_id(self.deal_id),
            lead_id=parse_opt_id(self.lead_id),
        )


# --- mutation inputs ----------------------------------------------------------------


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


def customer_fields(i: CreateCustomerInput | UpdateCustomerInput) -> customers.CustomerFields:
    return customers.CustomerFields(
        name=i.name,
        kind=i.kind,
        legal_name=i.legal_name,
        tax_id=i.tax_id,
        email=i.email,
        phone=i.phone,
        website=i.website,
        billing_address=i.billing_address.to_dict() if i.billing_address else None,
        shipping_address=i.shipping_address.to_dict() if i.shipping_address else None,
        tags=i.tags,
        owner_id=parse_opt_id(i.owner_id),
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

    def to_links(self) -> activities.ActivityLinks:
        return activities.ActivityLinks(
            customer_id=parse_opt_id(self.customer_id),
            contact_id=parse_opt_id(self.contact_id),
            lead_id=parse_opt_id(self.lead_id),
            deal_id=parse_opt_id(self.deal_id),
        )


@strawberry.input
class ActivityIdInput:
    id: strawberry.ID


def lead_fields(i: CreateLeadInput | UpdateLeadInput) -> leads.LeadFields:
    return leads.LeadFields(
        name=i.name,
        company_name=i.company_name,
        email=i.email,
        phone=i.phone,
        source=i.source,
        owner_id=parse_opt_id(i.owner_id),
        status=i.status if isinstance(i, UpdateLeadInput) else None,
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

    def to_specs(self) -> list[pipeline.StageSpec]:
        return [
            pipeline.StageSpec(id=parse_opt_id(s.id), name=s.name, probability=s.probability)
            for s in self.stages
        ]
