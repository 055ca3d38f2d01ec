"""CRM's queries. Thin: parse, call the read through `read`, map."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.db import TenantId
from shared.graphql.relay import Connection
from shared.graphql.resolvers import load_required, read, reference
from subgraphs.crm import reads
from subgraphs.crm.graphql import loaders
from subgraphs.crm.graphql.inputs import (
    ActivityFilter,
    ContactFilter,
    CustomerFilter,
    CustomerOrder,
    DealFilter,
    DealOrder,
    LeadFilter,
    LeadOrder,
)
from subgraphs.crm.graphql.types import (
    READ,
    Activity,
    Contact,
    CrmStats,
    Customer,
    Deal,
    Lead,
    Pipeline,
)


# Root fields are nullable: through the router, an outage of this subgraph nulls its own
# fields and not the whole response (README "Nullability across subgraphs").
@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: Info[Any, Any], id: strawberry.ID) -> Customer | None:
        return await reference(info, READ, loaders.customers, id, Customer.from_model)

    @strawberry.field
    async def customers(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer] | None:
        f, o = filter or CustomerFilter(), order_by or CustomerOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_customers(
                s, t, filter=f.to_filter(), **o.to_sort(), first=first, after=after
            ),
        )
        return Connection.of(page, Customer.from_model)

    @strawberry.field
    async def contacts(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ContactFilter | None = None,
    ) -> Connection[Contact] | None:
        f = filter or ContactFilter()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_contacts(s, t, filter=f.to_filter(), first=first, after=after),
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
    ) -> Connection[Lead] | None:
        f, o = filter or LeadFilter(), order_by or LeadOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_leads(
                s, t, filter=f.to_filter(), **o.to_sort(), first=first, after=after
            ),
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
    ) -> Connection[Deal] | None:
        f, o = filter or DealFilter(), order_by or DealOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_deals(
                s, t, filter=f.to_filter(), **o.to_sort(), first=first, after=after
            ),
        )
        return Connection.of(page, Deal.from_model)

    @strawberry.field
    async def activities(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ActivityFilter | None = None,
    ) -> Connection[Activity] | None:
        f = filter or ActivityFilter()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_activities(
                s, t, filter=f.to_filter(), first=first, after=after
            ),
        )
        return Connection.of(page, Activity.from_model)

    @strawberry.field(description="Open deals per stage in one currency (default: the tenant's).")
    async def pipeline(self, info: Info[Any, Any], currency: str | None = None) -> Pipeline | None:
        async def figures(session: AsyncSession, tenant: TenantId) -> reads.PipelineFigures:
            if currency is not None:
                return await reads.pipeline(session, tenant, currency=currency)
            base = await load_required(info, loaders.base_currency, tenant, str)
            return await reads.pipeline(session, tenant, currency=base)

        return Pipeline.of(await read(info, READ, figures))

    @strawberry.field(
        name="crmStats", description="Figures for the days `from`..`to` inclusive (UTC)."
    )
    async def crm_stats(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> CrmStats | None:
        stats = await read(info, READ, lambda s, t: reads.crm_stats(s, t, start=from_, end=to))
        return CrmStats.of(stats)
