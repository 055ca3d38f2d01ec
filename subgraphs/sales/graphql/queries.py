"""Sales' queries. Thin: parse, call the read, map."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import to_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import read, reference
from shared.graphql.types import SortDirection
from subgraphs.sales import analytics, reads, receivables, settings
from subgraphs.sales.graphql import loaders
from subgraphs.sales.graphql.inputs import (
    InvoiceFilter,
    SalesAnalyticsInput,
    SalesOrderFilter,
    SalesOrderOrder,
)
from subgraphs.sales.graphql.types import (
    READ,
    AgingBuckets,
    AnalyticsBucket,
    Customer,
    CustomerAging,
    Invoice,
    Product,
    ReceivablesAging,
    SalesOrder,
    SalesPipelineStage,
    SalesSettings,
    TaxRate,
    TopCustomer,
    TopProduct,
    base_currency,
    money,
)
from subgraphs.sales.orders import today


# Root fields are nullable: through the router, an outage of this subgraph nulls its own
# fields and not the whole response (README "Nullability across subgraphs").
@strawberry.type
class Query:
    @strawberry.field
    async def sales_order(self, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder | None:
        return await reference(info, READ, loaders.orders, id, SalesOrder.from_model)

    @strawberry.field
    async def sales_orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: SalesOrderFilter | None = None,
        order_by: SalesOrderOrder | None = None,
    ) -> Connection[SalesOrder] | None:
        f, o = filter or SalesOrderFilter(), order_by or SalesOrderOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_orders(
                s,
                t,
                filter=f.to_filter(),
                order_by=o.field,
                descending=o.direction is SortDirection.DESC,
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, SalesOrder.from_model)

    @strawberry.field
    async def invoice(self, info: Info[Any, Any], id: strawberry.ID) -> Invoice | None:
        return await reference(info, READ, loaders.invoices, id, Invoice.from_model)

    @strawberry.field(description="Newest number first.")
    async def invoices(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilter | None = None,
    ) -> Connection[Invoice] | None:
        f = filter or InvoiceFilter()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_invoices(s, t, filter=f.to_filter(), first=first, after=after),
        )
        return Connection.of(page, Invoice.from_model)

    @strawberry.field(
        description="What customers owe on `asOf` (today by default) by days past due:"
        " invoices only, net of what was paid or credited by that day, in base currency."
    )
    async def receivables_aging(
        self, info: Info[Any, Any], as_of: dt.date | None = None
    ) -> ReceivablesAging | None:
        day = as_of or today()
        report = await read(info, READ, lambda s, t: receivables.receivables_aging(s, t, on=day))
        base = await base_currency(info)
        return ReceivablesAging(
            as_of=report.as_of,
            customers=[
                CustomerAging(customer=Customer(id=to_id(c)), buckets=AgingBuckets.of(a, base))
                for c, a in report.customers
            ],
            total=AgingBuckets.of(report.total, base),
        )

    @strawberry.field
    async def sales_settings(self, info: Info[Any, Any]) -> SalesSettings | None:
        row = await read(info, READ, settings.get_settings)
        return SalesSettings(default_warehouse_id=row.default_warehouse_id)

    @strawberry.field
    async def tax_rates(self, info: Info[Any, Any]) -> list[TaxRate] | None:
        rows = await read(info, READ, reads.list_tax_rates)
        return [TaxRate.from_model(r) for r in rows]

    @strawberry.field(description="Orders per state, valued in base currency.")
    async def sales_pipeline(self, info: Info[Any, Any]) -> list[SalesPipelineStage] | None:
        rows = await read(info, READ, analytics.pipeline)
        base = await base_currency(info)
        return [
            SalesPipelineStage(state=r.state, count=r.count, amount=money(r.amount, base))
            for r in rows
        ]

    @strawberry.field(description="Booked sales per period, aggregated in SQL.")
    async def sales_analytics(
        self, info: Info[Any, Any], input: SalesAnalyticsInput
    ) -> list[AnalyticsBucket] | None:
        rows = await read(
            info,
            READ,
            lambda s, t: analytics.sales_analytics(
                s,
                t,
                start=input.from_,
                end=input.to,
                interval=input.interval,
                group_by=input.group_by,
            ),
        )
        base = await base_currency(info)
        return [
            AnalyticsBucket(
                period=b.period,
                revenue=money(b.revenue, base),
                quantity=b.quantity,
                order_count=b.order_count,
                average_order_value=money(b.average_order_value, base),
                key=b.key,
                group_by=input.group_by,
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
    ) -> list[TopCustomer] | None:
        rows = await read(
            info,
            READ,
            lambda s, t: analytics.top(
                s, t, by=analytics.GroupBy.CUSTOMER, start=from_, end=to, limit=limit
            ),
        )
        base = await base_currency(info)
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
    ) -> list[TopProduct] | None:
        rows = await read(
            info,
            READ,
            lambda s, t: analytics.top(
                s, t, by=analytics.GroupBy.PRODUCT, start=from_, end=to, limit=limit
            ),
        )
        base = await base_currency(info)
        return [
            TopProduct(
                product=Product(id=to_id(r.id)),
                revenue=money(r.revenue, base),
                quantity=r.quantity,
                order_count=r.order_count,
            )
            for r in rows
        ]
