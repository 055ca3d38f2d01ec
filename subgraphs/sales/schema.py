"""Sales' queries. Thin: parse, call the service, map."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from shared.graphql import context
from shared.pagination import Connection
from subgraphs.sales import analytics, loaders, rates
from subgraphs.sales.objects import (
    READ,
    AnalyticsBucket,
    AnalyticsGroupBy,
    AnalyticsInterval,
    Customer,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    InvoicingStatus,
    Product,
    SalesOrder,
    SalesOrderOrderField,
    SalesOrderStatus,
    SalesPipelineStage,
    SortDirection,
    TaxRate,
    TopCustomer,
    TopProduct,
    money,
    opt_uuid,
    parse_uuid,
    to_id,
)

# --- queries ------------------------------------------------------------------------


@strawberry.input
class SalesOrderFilter:
    customer_id: strawberry.ID | None = None
    status: list[SalesOrderStatus] | None = None
    invoice_status: InvoicingStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")


@strawberry.input
class SalesOrderOrder:
    field: SalesOrderOrderField = SalesOrderOrderField.ORDER_DATE
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class InvoiceFilter:
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    kind: InvoiceKind | None = None
    status: InvoiceStatus | None = None
    search: str | None = None


@strawberry.input
class SalesAnalyticsInput:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    interval: AnalyticsInterval = AnalyticsInterval.MONTH
    group_by: AnalyticsGroupBy = AnalyticsGroupBy.NONE


@strawberry.type
class Query:
    @strawberry.field
    async def sales_order(self, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.orders(ctx).load(parse_uuid(id))
        return SalesOrder.from_model(row) if row else None

    @strawberry.field
    async def sales_orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: SalesOrderFilter | None = None,
        order_by: SalesOrderOrder | None = None,
    ) -> Connection[SalesOrder]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f, o = filter or SalesOrderFilter(), order_by or SalesOrderOrder()
        async with ctx.session() as session:
            page = await analytics.list_orders(
                session,
                tenant,
                filter=analytics.OrderFilter(
                    customer_id=opt_uuid(f.customer_id),
                    statuses=[s.value for s in f.status or ()],
                    invoice_status=f.invoice_status.value if f.invoice_status else None,
                    date_from=f.date_from,
                    date_to=f.date_to,
                    search=f.search,
                ),
                order_by=o.field.value,
                descending=o.direction is SortDirection.DESC,
                first=first,
                after=after,
            )
        return Connection.of(page, SalesOrder.from_model)

    @strawberry.field
    async def invoice(self, info: Info[Any, Any], id: strawberry.ID) -> Invoice | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.invoices(ctx).load(parse_uuid(id))
        return Invoice.from_model(row) if row else None

    @strawberry.field(description="Newest number first.")
    async def invoices(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilter | None = None,
    ) -> Connection[Invoice]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        f = filter or InvoiceFilter()
        async with ctx.session() as session:
            page = await analytics.list_invoices(
                session,
                tenant,
                filter=analytics.InvoiceFilter(
                    order_id=opt_uuid(f.order_id),
                    customer_id=opt_uuid(f.customer_id),
                    kind=f.kind.value if f.kind else None,
                    status=f.status.value if f.status else None,
                    search=f.search,
                ),
                first=first,
                after=after,
            )
        return Connection.of(page, Invoice.from_model)

    @strawberry.field
    async def tax_rates(self, info: Info[Any, Any]) -> list[TaxRate]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await rates.list_tax_rates(session, tenant)
        return [TaxRate.from_model(r) for r in rows]

    @strawberry.field(description="Orders per state, valued in base currency.")
    async def sales_pipeline(self, info: Info[Any, Any]) -> list[SalesPipelineStage]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await analytics.pipeline(session, tenant)
            base = await rates.base_currency(session, tenant)
        return [
            SalesPipelineStage(
                state=SalesOrderStatus(r.state), count=r.count, amount=money(r.amount, base)
            )
            for r in rows
        ]

    @strawberry.field(description="Booked sales per period, aggregated in SQL.")
    async def sales_analytics(
        self, info: Info[Any, Any], input: SalesAnalyticsInput
    ) -> list[AnalyticsBucket]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await analytics.sales_analytics(
                session,
                tenant,
                start=input.from_,
                end=input.to,
                interval=input.interval.value,
                group_by=input.group_by.value,
            )
            base = await rates.base_currency(session, tenant)
        return [
            AnalyticsBucket(
                period=b.period,
                revenue=money(b.revenue, base),
                quantity=b.quantity,
                order_count=b.order_count,
                average_order_value=money(b.average_order_value, base),
                key=b.key,
                group_by=input.group_by.value,
            )
            for b in rows
        ]

    @strawberry.field
    async def top_customers(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
        limit: int = 10,
    ) -> list[TopCustomer]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await analytics.top(
                session, tenant, by="CUSTOMER", start=from_, end=to, limit=limit
            )
            base = await rates.base_currency(session, tenant)
        return [
            TopCustomer(
                customer=Customer(id=to_id(r.id)),
                revenue=money(r.revenue, base),
                order_count=r.order_count,
            )
            for r in rows
        ]

    @strawberry.field
    async def top_products(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
        limit: int = 10,
    ) -> list[TopProduct]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await analytics.top(
                session, tenant, by="PRODUCT", start=from_, end=to, limit=limit
            )
            base = await rates.base_currency(session, tenant)
        return [
            TopProduct(
                product=Product(id=to_id(r.id)),
                revenue=money(r.revenue, base),
                quantity=r.quantity,
                order_count=r.order_count,
            )
            for r in rows
        ]
