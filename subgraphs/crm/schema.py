"""CRM's queries. Thin: parse, call the service, map. Types live in `objects.py` and
`inputs.py`, mutations in `mutations.py`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from shared.errors import BadUserInput, InvalidInput
from shared.graphql import Money, context, parse_id
from shared.pagination import Connection
from subgraphs.crm import activities, deals, leads, loaders, pipeline, service
from subgraphs.crm.inputs import (
    ActivityFilter,
    ContactFilter,
    CustomerFilter,
    CustomerOrder,
    DealFilter,
    DealOrder,
    LeadFilter,
    LeadOrder,
)
from subgraphs.crm.objects import (
    READ,
    Activity,
    Contact,
    CrmStats,
    Customer,
    Deal,
    Lead,
    Pipeline,
    PipelineStage,
    SortDirection,
    StageFigures,
    enum_value,
    opt_uuid,
)
from subgraphs.identity import service as identity


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
                    status=enum_value(f.status),
                    owner_id=opt_uuid(f.owner_id),
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
                filter=service.ContactFilter(search=f.search, customer_id=opt_uuid(f.customer_id)),
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
            page = await leads.list_leads(
                session,
                tenant,
                filter=leads.LeadFilter(
                    search=f.search,
                    status=enum_value(f.status),
                    source=enum_value(f.source),
                    owner_id=opt_uuid(f.owner_id),
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
            page = await deals.list_deals(
                session,
                tenant,
                filter=deals.DealFilter(
                    search=f.search,
                    status=enum_value(f.status),
                    stage_id=opt_uuid(f.stage_id),
                    owner_id=opt_uuid(f.owner_id),
                    customer_id=opt_uuid(f.customer_id),
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
            page = await activities.list_activities(
                session,
                tenant,
                filter=activities.ActivityFilter(
                    overdue=f.overdue,
                    done=f.done,
                    type=enum_value(f.type),
                    customer_id=opt_uuid(f.customer_id),
                    contact_id=opt_uuid(f.contact_id),
                    deal_id=opt_uuid(f.deal_id),
                    lead_id=opt_uuid(f.lead_id),
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
            stages = await pipeline.list_stages(session, tenant)
            if not stages:
                # A read transaction cannot insert: the defaults get their own.
                stages = await pipeline.ensure_default_stages(ctx.runtime.db, tenant)
            figures = await deals.pipeline(
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
                s = await deals.crm_stats(session, tenant, start=from_, end=to)
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
