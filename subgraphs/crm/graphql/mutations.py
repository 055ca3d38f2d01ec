"""CRM's mutations and their payloads. Thin: parse, call the rule through `perform`, map.

The rules name problems by their own arguments; `rename` maps those onto the input's
fields (`customerId` -> `id`), and a dataclass argument whose fields are the input's own
(`fields`, `links`) maps to "" so its fields land directly under `input`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.resolvers import perform
from shared.graphql.types import UserError
from subgraphs.crm import activities, contacts, customers, deals, leads, models, pipeline
from subgraphs.crm.graphql.inputs import (
    ActivityIdInput,
    ConfigurePipelineInput,
    ConvertLeadInput,
    CreateActivityInput,
    CreateContactInput,
    CreateCustomerInput,
    CreateDealInput,
    CreateLeadInput,
    CustomerIdInput,
    DealIdInput,
    LeadIdInput,
    LoseInput,
    MoveDealInput,
    UpdateContactInput,
    UpdateCustomerInput,
    UpdateDealInput,
    UpdateLeadInput,
    customer_fields,
    lead_fields,
)
from subgraphs.crm.graphql.types import (
    WRITE,
    Activity,
    Contact,
    Customer,
    Deal,
    Lead,
    PipelineStage,
)

FIELDS = {"fields": ""}
CUSTOMER = {"customerId": "id"}
LEAD = {"leadId": "id"}
DEAL = {"dealId": "id"}


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Customer | None, errors: list[UserError]) -> CustomerPayload:
        return cls(customer=Customer.from_model(row) if row else None, errors=errors)


@strawberry.type
class ContactPayload:
    contact: Contact | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Contact | None, errors: list[UserError]) -> ContactPayload:
        return cls(contact=Contact.from_model(row) if row else None, errors=errors)


@strawberry.type
class LeadPayload:
    lead: Lead | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Lead | None, errors: list[UserError]) -> LeadPayload:
        return cls(lead=Lead.from_model(row) if row else None, errors=errors)


@strawberry.type
class ConvertLeadPayload:
    lead: Lead | None = None
    customer: Customer | None = None
    contact: Contact | None = None
    deal: Deal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, result: leads.Conversion | None, errors: list[UserError]) -> ConvertLeadPayload:
        if result is None:
            return cls(errors=errors)
        return cls(
            lead=Lead.from_model(result.lead),
            customer=Customer.from_model(result.customer),
            contact=Contact.from_model(result.contact),
            deal=Deal.from_model(result.deal),
            errors=errors,
        )


@strawberry.type
class DealPayload:
    deal: Deal | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Deal | None, errors: list[UserError]) -> DealPayload:
        return cls(deal=Deal.from_model(row) if row else None, errors=errors)


@strawberry.type
class ActivityPayload:
    activity: Activity | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Activity | None, errors: list[UserError]) -> ActivityPayload:
        return cls(activity=Activity.from_model(row) if row else None, errors=errors)


@strawberry.type
class PipelinePayload:
    stages: list[PipelineStage] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, rows: list[models.PipelineStage] | None, errors: list[UserError]
    ) -> PipelinePayload:
        stages = None if rows is None else [PipelineStage.from_model(r) for r in rows]
        return cls(stages=stages, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Set the pipeline's stages, their order and probabilities.")
    async def configure_pipeline(
        self, info: Info[Any, Any], input: ConfigurePipelineInput
    ) -> PipelinePayload:
        specs = input.to_specs()
        return PipelinePayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: pipeline.configure_pipeline(s, p.tenant_id, stages=specs),
            )
        )

    @strawberry.mutation
    async def create_customer(
        self, info: Info[Any, Any], input: CreateCustomerInput
    ) -> CustomerPayload:
        return CustomerPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: customers.create_customer(
                    s, p.tenant_id, fields=customer_fields(input), actor=p.user_id
                ),
                rename=FIELDS,
            )
        )

    @strawberry.mutation
    async def update_customer(
        self, info: Info[Any, Any], input: UpdateCustomerInput
    ) -> CustomerPayload:
        return CustomerPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: customers.update_customer(
                    s, p.tenant_id, customer_id=parse_id(input.id), fields=customer_fields(input)
                ),
                rename={**CUSTOMER, **FIELDS},
            )
        )

    @strawberry.mutation(description="Archived customers are read-only and cannot be ordered for.")
    async def archive_customer(
        self, info: Info[Any, Any], input: CustomerIdInput
    ) -> CustomerPayload:
        return CustomerPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: customers.set_customer_status(
                    s, p.tenant_id, customer_id=parse_id(input.id), archived=True
                ),
                rename=CUSTOMER,
            )
        )

    @strawberry.mutation
    async def unarchive_customer(
        self, info: Info[Any, Any], input: CustomerIdInput
    ) -> CustomerPayload:
        return CustomerPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: customers.set_customer_status(
                    s, p.tenant_id, customer_id=parse_id(input.id), archived=False
                ),
                rename=CUSTOMER,
            )
        )

    @strawberry.mutation
    async def create_contact(
        self, info: Info[Any, Any], input: CreateContactInput
    ) -> ContactPayload:
        return ContactPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: contacts.create_contact(
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
        )

    @strawberry.mutation
    async def update_contact(
        self, info: Info[Any, Any], input: UpdateContactInput
    ) -> ContactPayload:
        return ContactPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: contacts.update_contact(
                    s,
                    p.tenant_id,
                    contact_id=parse_id(input.id),
                    name=input.name,
                    job_title=input.job_title,
                    email=input.email,
                    phone=input.phone,
                    is_primary=input.is_primary,
                ),
                rename={"contactId": "id"},
            )
        )

    @strawberry.mutation
    async def create_lead(self, info: Info[Any, Any], input: CreateLeadInput) -> LeadPayload:
        return LeadPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: leads.create_lead(
                    s, p.tenant_id, actor=p.user_id, fields=lead_fields(input)
                ),
                rename=FIELDS,
            )
        )

    @strawberry.mutation
    async def update_lead(self, info: Info[Any, Any], input: UpdateLeadInput) -> LeadPayload:
        return LeadPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: leads.update_lead(
                    s, p.tenant_id, lead_id=parse_id(input.id), fields=lead_fields(input)
                ),
                rename={**LEAD, **FIELDS},
            )
        )

    @strawberry.mutation
    async def qualify_lead(self, info: Info[Any, Any], input: LeadIdInput) -> LeadPayload:
        return LeadPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: leads.qualify_lead(s, p.tenant_id, lead_id=parse_id(input.id)),
                rename=LEAD,
            )
        )

    @strawberry.mutation
    async def lose_lead(self, info: Info[Any, Any], input: LoseInput) -> LeadPayload:
        return LeadPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: leads.lose_lead(
                    s, p.tenant_id, lead_id=parse_id(input.id), reason=input.reason
                ),
                rename=LEAD,
            )
        )

    @strawberry.mutation(
        description="Creates or links a customer, a contact and a deal, atomically."
    )
    async def convert_lead(
        self, info: Info[Any, Any], input: ConvertLeadInput
    ) -> ConvertLeadPayload:
        return ConvertLeadPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: leads.convert_lead(
                    s,
                    p.tenant_id,
                    actor=p.user_id,
                    lead_id=parse_id(input.lead_id),
                    customer_id=parse_opt_id(input.customer_id),
                    deal_title=input.deal_title,
                    amount=input.amount,
                ),
            )
        )

    @strawberry.mutation
    async def create_deal(self, info: Info[Any, Any], input: CreateDealInput) -> DealPayload:
        return DealPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: deals.create_deal(
                    s,
                    p.tenant_id,
                    actor=p.user_id,
                    customer_id=parse_id(input.customer_id),
                    title=input.title,
                    amount=input.amount,
                    currency=input.currency,
                    stage_id=parse_opt_id(input.stage_id),
                    probability=input.probability,
                    expected_close_date=input.expected_close_date,
                    owner_id=parse_opt_id(input.owner_id),
                ),
            )
        )

    @strawberry.mutation
    async def update_deal(self, info: Info[Any, Any], input: UpdateDealInput) -> DealPayload:
        return DealPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: deals.update_deal(
                    s,
                    p.tenant_id,
                    deal_id=parse_id(input.id),
                    title=input.title,
                    amount=input.amount,
                    currency=input.currency,
                    probability=input.probability,
                    expected_close_date=input.expected_close_date,
                    owner_id=parse_opt_id(input.owner_id),
                ),
                rename=DEAL,
            )
        )

    @strawberry.mutation
    async def move_deal(self, info: Info[Any, Any], input: MoveDealInput) -> DealPayload:
        return DealPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: deals.move_deal(
                    s,
                    p.tenant_id,
                    actor=p.user_id,
                    deal_id=parse_id(input.id),
                    stage_id=parse_id(input.stage_id),
                ),
                rename=DEAL,
            )
        )

    @strawberry.mutation
    async def win_deal(self, info: Info[Any, Any], input: DealIdInput) -> DealPayload:
        return DealPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: deals.close_deal(
                    s, p.tenant_id, actor=p.user_id, deal_id=parse_id(input.id), won=True
                ),
                rename=DEAL,
            )
        )

    @strawberry.mutation
    async def lose_deal(self, info: Info[Any, Any], input: LoseInput) -> DealPayload:
        return DealPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: deals.close_deal(
                    s,
                    p.tenant_id,
                    actor=p.user_id,
                    deal_id=parse_id(input.id),
                    won=False,
                    reason=input.reason,
                ),
                rename=DEAL,
            )
        )

    @strawberry.mutation
    async def create_activity(
        self, info: Info[Any, Any], input: CreateActivityInput
    ) -> ActivityPayload:
        return ActivityPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: activities.create_activity(
                    s,
                    p.tenant_id,
                    actor=p.user_id,
                    type=input.type,
                    subject=input.subject,
                    notes=input.notes,
                    due_at=input.due_at,
                    links=input.to_links(),
                ),
                rename={"links": ""},
            )
        )

    @strawberry.mutation
    async def complete_activity(
        self, info: Info[Any, Any], input: ActivityIdInput
    ) -> ActivityPayload:
        return ActivityPayload.of(
            *await perform(
                info,
                WRITE,
                lambda s, p: activities.complete_activity(
                    s, p.tenant_id, activity_id=parse_id(input.id)
                ),
                rename={"activityId": "id"},
            )
        )
