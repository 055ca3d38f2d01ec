"""CRM's mutations. Thin: parse, call the service, map."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql import UserError, parse_id, perform
from subgraphs.crm import activities, deals, leads, models, pipeline, service
from subgraphs.crm.inputs import (
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
from subgraphs.crm.objects import (
    WRITE,
    Activity,
    Contact,
    Customer,
    Deal,
    Lead,
    PipelineStage,
    opt_uuid,
)


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


@strawberry.type
class PipelinePayload:
    stages: list[PipelineStage] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _customer(row: models.Customer | None, errors: list[UserError]) -> CustomerPayload:
    return CustomerPayload(customer=Customer.from_model(row) if row else None, errors=errors)


def _contact(row: models.Contact | None, errors: list[UserError]) -> ContactPayload:
    return ContactPayload(contact=Contact.from_model(row) if row else None, errors=errors)


def _lead(row: models.Lead | None, errors: list[UserError]) -> LeadPayload:
    return LeadPayload(lead=Lead.from_model(row) if row else None, errors=errors)


def _deal(row: models.Deal | None, errors: list[UserError]) -> DealPayload:
    return DealPayload(deal=Deal.from_model(row) if row else None, errors=errors)


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
                s, p.tenant_id, fields=customer_fields(input), actor=p.user_id
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
                s, p.tenant_id, customer_id=parse_id(input.id), fields=customer_fields(input)
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
            lambda s, p: leads.create_lead(
                s, p.tenant_id, actor=p.user_id, fields=lead_fields(input)
            ),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def update_lead(self, info: Info[Any, Any], input: UpdateLeadInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: leads.update_lead(
                s, p.tenant_id, lead_id=parse_id(input.id), fields=lead_fields(input)
            ),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def qualify_lead(self, info: Info[Any, Any], input: LeadIdInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: leads.qualify_lead(s, p.tenant_id, lead_id=parse_id(input.id)),
        )
        return _lead(row, errors)

    @strawberry.mutation
    async def lose_lead(self, info: Info[Any, Any], input: LoseInput) -> LeadPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: leads.lose_lead(
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
            lambda s, p: leads.convert_lead(
                s,
                p.tenant_id,
                actor=p.user_id,
                lead_id=parse_id(input.lead_id),
                customer_id=opt_uuid(input.customer_id),
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
            lambda s, p: deals.create_deal(
                s,
                p.tenant_id,
                actor=p.user_id,
                customer_id=parse_id(input.customer_id),
                title=input.title,
                amount=input.amount,
                currency=input.currency,
                stage_id=opt_uuid(input.stage_id),
                probability=input.probability,
                expected_close_date=input.expected_close_date,
                owner_id=opt_uuid(input.owner_id),
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def update_deal(self, info: Info[Any, Any], input: UpdateDealInput) -> DealPayload:
        row, errors = await perform(
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
                owner_id=opt_uuid(input.owner_id),
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def move_deal(self, info: Info[Any, Any], input: MoveDealInput) -> DealPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: deals.move_deal(
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
            lambda s, p: deals.close_deal(
                s, p.tenant_id, actor=p.user_id, deal_id=parse_id(input.id), won=True
            ),
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def lose_deal(self, info: Info[Any, Any], input: LoseInput) -> DealPayload:
        row, errors = await perform(
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
        )
        return _deal(row, errors)

    @strawberry.mutation
    async def create_activity(
        self, info: Info[Any, Any], input: CreateActivityInput
    ) -> ActivityPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: activities.create_activity(
                s,
                p.tenant_id,
                actor=p.user_id,
                type=input.type.value,
                subject=input.subject,
                notes=input.notes,
                due_at=input.due_at,
                links=activities.ActivityLinks(
                    customer_id=opt_uuid(input.customer_id),
                    contact_id=opt_uuid(input.contact_id),
                    lead_id=opt_uuid(input.lead_id),
                    deal_id=opt_uuid(input.deal_id),
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
            lambda s, p: activities.complete_activity(
                s, p.tenant_id, activity_id=parse_id(input.id)
            ),
        )
        return ActivityPayload(activity=Activity.from_model(row) if row else None, errors=errors)
