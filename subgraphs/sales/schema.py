"""Sales' GraphQL types, queries and mutations. Thin: parse, call the service, map.

Sales owns `SalesOrder` and `Invoice`, and extends CRM's `Customer` (order history and
figures) and stock's `Product` (sales stats); `SalesOrderLine.product` is a reference
that stock resolves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Protocol, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.auth import Principal
from shared.db import TenantId
from shared.graphql import UserError, context, perform
from shared.pagination import Connection
from subgraphs.sales import analytics, idempotency, invoicing, loaders, models, service
from subgraphs.sales.service import CENT

READ, WRITE = "sales:read", "sales:write"


class _HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


M = TypeVar("M", bound=_HasId)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        # An id that is not ours finds nothing, like any other unknown id.
        return uuid.UUID(int=0)


def _opt(value: str | None) -> uuid.UUID | None:
    return _uuid(value) if value is not None else None


def _id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.enum
class SalesOrderStatus(Enum):
    QUOTATION = "QUOTATION"
    SENT = "SENT"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class InvoicingStatus(Enum):
    NOT_INVOICED = "NOT_INVOICED"
    PARTIALLY_INVOICED = "PARTIALLY_INVOICED"
    INVOICED = "INVOICED"
    PAID = "PAID"


@strawberry.enum
class InvoiceKind(Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


@strawberry.enum
class InvoiceStatus(Enum):
    POSTED = "POSTED"
    PAID = "PAID"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class SalesOrderOrderField(Enum):
    NUMBER = "NUMBER"
    ORDER_DATE = "ORDER_DATE"
    TOTAL = "TOTAL"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class AnalyticsInterval(Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.enum
class AnalyticsGroupBy(Enum):
    NONE = "NONE"
    PRODUCT = "PRODUCT"
    CUSTOMER = "CUSTOMER"


@strawberry.type(description="An amount of money; sales amounts are in cents.")
class MonetaryAmount:
    amount: Decimal
    currency: str


def _money(amount: Decimal, currency: str) -> MonetaryAmount:
    return MonetaryAmount(amount=amount.quantize(CENT), currency=currency)


# --- references to other subgraphs' entities ----------------------------------------


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class Warehouse:
    """A reference to stock's warehouse; stock resolves its fields."""

    id: strawberry.ID


@strawberry.type
class ProductSalesStats:
    quantity: Decimal
    revenue: MonetaryAmount = strawberry.field(description="Untaxed, in base currency.")
    order_count: int


@strawberry.federation.type(keys=["id"], description="Stock's product, with its sales.")
class Product:
    id: strawberry.ID

    @strawberry.field(description="Booked (confirmed, not cancelled) orders in the period.")
    async def sales_stats(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
    ) -> ProductSalesStats:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.product_figures(ctx).load((_uuid(self.id), from_, to))
        base = await loaders.base_currency(ctx).load("base")
        if figures is None:
            return ProductSalesStats(
                quantity=Decimal(0), revenue=_money(Decimal(0), base), order_count=0
            )
        return ProductSalesStats(
            quantity=figures.quantity,
            revenue=_money(figures.revenue, base),
            order_count=figures.order_count,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="CRM's customer, with its orders.")
class Customer:
    id: strawberry.ID

    @strawberry.field(description="Newest first.")
    async def orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        status: list[SalesOrderStatus] | None = None,
    ) -> Connection[SalesOrder]:
        ctx = context(info)
        ctx.require(READ)
        statuses = tuple(sorted(s.value for s in status or ()))
        page = await loaders.orders_by_customer(ctx).load((_uuid(self.id), first, after, statuses))
        return Connection.of(page, SalesOrder.from_model)

    @strawberry.field(description="Confirmed, not cancelled orders.")
    async def order_count(self, info: Info[Any, Any]) -> int:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(_uuid(self.id))
        return figures.order_count if figures else 0

    @strawberry.field(description="Untaxed value of booked orders, in base currency.")
    async def lifetime_value(self, info: Info[Any, Any]) -> MonetaryAmount:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(_uuid(self.id))
        base = await loaders.base_currency(ctx).load("base")
        return _money(figures.lifetime_value if figures else Decimal(0), base)

    @strawberry.field
    async def last_order_at(self, info: Info[Any, Any]) -> dt.datetime | None:
        ctx = context(info)
        ctx.require(READ)
        figures = await loaders.customer_figures(ctx).load(_uuid(self.id))
        return figures.last_order_at if figures else None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Customer:
        return cls(id=id)


# --- sales' own types ---------------------------------------------------------------


@strawberry.type
class TaxRate:
    id: strawberry.ID
    name: str
    percent: Decimal

    @classmethod
    def from_model(cls, r: models.TaxRate) -> TaxRate:
        return cls(id=_id(r.id), name=r.name, percent=r.percent)


@strawberry.type
class ExchangeRate:
    currency: str
    date: dt.date
    rate: Decimal


@strawberry.type
class SalesOrderLine:
    id: strawberry.ID
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: MonetaryAmount
    tax: MonetaryAmount
    total: MonetaryAmount
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal = strawberry.field(description="Net of credit notes.")
    product_id: strawberry.Private[uuid.UUID]
    tax_rate_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, ln: models.SalesOrderLine, currency: str) -> SalesOrderLine:
        return cls(
            id=_id(ln.id),
            position=ln.position,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent,
            tax_percent=ln.tax_percent,
            untaxed=_money(ln.untaxed, currency),
            tax=_money(ln.tax, currency),
            total=_money(ln.total, currency),
            delivered_quantity=ln.delivered_qty,
            returned_quantity=ln.returned_qty,
            invoiced_quantity=ln.invoiced_qty,
            product_id=ln.product_id,
            tax_rate_id=ln.tax_rate_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return Product(id=_id(self.product_id))

    @strawberry.field
    async def tax_rate(self, info: Info[Any, Any]) -> TaxRate | None:
        if self.tax_rate_id is None:
            return None
        row = await loaders.tax_rates(context(info)).load(self.tax_rate_id)
        return TaxRate.from_model(row) if row else None


@strawberry.federation.type(keys=["id"], description="A quotation or a confirmed sales order.")
class SalesOrder:
    id: strawberry.ID
    number: str
    status: SalesOrderStatus
    invoice_status: InvoicingStatus
    currency: str
    order_date: dt.date
    exchange_rate: Decimal | None = strawberry.field(
        description="Base-currency value of one unit of `currency`, fixed at confirmation."
    )
    untaxed: MonetaryAmount
    tax: MonetaryAmount
    total: MonetaryAmount
    notes: str
    confirmed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    customer_id: strawberry.Private[uuid.UUID]
    warehouse_id: strawberry.Private[uuid.UUID]
    salesperson_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, o: models.SalesOrder) -> SalesOrder:
        return cls(
            id=_id(o.id),
            number=o.number,
            status=SalesOrderStatus(o.status),
            invoice_status=InvoicingStatus(o.invoice_status),
            currency=o.currency,
            order_date=o.order_date,
            exchange_rate=o.exchange_rate,
            untaxed=_money(o.untaxed, o.currency),
            tax=_money(o.tax, o.currency),
            total=_money(o.total, o.currency),
            notes=o.notes,
            confirmed_at=o.confirmed_at,
            created_at=o.created_at,
            updated_at=o.updated_at,
            customer_id=o.customer_id,
            warehouse_id=o.warehouse_id,
            salesperson_id=o.salesperson_id,
        )

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=_id(self.customer_id))

    @strawberry.field
    def warehouse(self) -> Warehouse:
        return Warehouse(id=_id(self.warehouse_id))

    @strawberry.field
    def salesperson(self) -> User | None:
        return User(id=_id(self.salesperson_id)) if self.salesperson_id else None

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[SalesOrderLine]:
        rows = await loaders.lines_by_order(context(info)).load(_uuid(self.id))
        return [SalesOrderLine.from_model(r, self.currency) for r in rows]

    @strawberry.field
    async def invoices(self, info: Info[Any, Any]) -> list[Invoice]:
        rows = await loaders.invoices_by_order(context(info)).load(_uuid(self.id))
        return [Invoice.from_model(r) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.orders(ctx).load(_uuid(id))
        return cls.from_model(row) if row else None


@strawberry.type
class InvoiceLine:
    id: strawberry.ID
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: MonetaryAmount
    tax: MonetaryAmount
    total: MonetaryAmount
    product_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def product(self) -> Product:
        return Product(id=_id(self.product_id))


@strawberry.type
class Payment:
    id: strawberry.ID
    amount: MonetaryAmount
    date: dt.date
    created_at: dt.datetime


@strawberry.federation.type(keys=["id"], description="A posted invoice or credit note.")
class Invoice:
    id: strawberry.ID
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    currency: str
    invoice_date: dt.date
    untaxed: MonetaryAmount
    tax: MonetaryAmount
    total: MonetaryAmount
    amount_paid: MonetaryAmount
    amount_due: MonetaryAmount
    reason: str
    posted_at: dt.datetime
    paid_at: dt.datetime | None
    order_id: strawberry.Private[uuid.UUID]
    customer_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, i: models.Invoice) -> Invoice:
        return cls(
            id=_id(i.id),
            number=i.number,
            kind=InvoiceKind(i.kind),
            status=InvoiceStatus(i.status),
            currency=i.currency,
            invoice_date=i.invoice_date,
            untaxed=_money(i.untaxed, i.currency),
            tax=_money(i.tax, i.currency),
            total=_money(i.total, i.currency),
            amount_paid=_money(i.amount_paid, i.currency),
            amount_due=_money(invoicing.amount_due(i), i.currency),
            reason=i.reason,
            posted_at=i.posted_at,
            paid_at=i.paid_at,
            order_id=i.order_id,
            customer_id=i.customer_id,
        )

    @strawberry.field
    def customer(self) -> Customer:
        return Customer(id=_id(self.customer_id))

    @strawberry.field
    async def order(self, info: Info[Any, Any]) -> SalesOrder:
        row = await loaders.orders(context(info)).load(self.order_id)
        assert row is not None
        return SalesOrder.from_model(row)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[InvoiceLine]:
        rows = await loaders.lines_by_invoice(context(info)).load(_uuid(self.id))
        return [
            InvoiceLine(
                id=_id(r.id),
                quantity=r.quantity,
                unit_price=r.unit_price,
                discount_percent=r.discount_percent,
                tax_percent=r.tax_percent,
                untaxed=_money(r.untaxed, self.currency),
                tax=_money(r.tax, self.currency),
                total=_money(r.total, self.currency),
                product_id=r.product_id,
            )
            for r in rows
        ]

    @strawberry.field
    async def payments(self, info: Info[Any, Any]) -> list[Payment]:
        rows = await loaders.payments_by_invoice(context(info)).load(_uuid(self.id))
        return [_payment(r, self.currency) for r in rows]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Invoice | None:
        ctx = context(info)
        ctx.require(READ)
        row = await loaders.invoices(ctx).load(_uuid(id))
        return cls.from_model(row) if row else None


def _payment(p: models.Payment, currency: str) -> Payment:
    return Payment(
        id=_id(p.id), amount=_money(p.amount, currency), date=p.date, created_at=p.created_at
    )


@strawberry.type
class SalesPipelineStage:
    state: SalesOrderStatus
    count: int
    amount: MonetaryAmount = strawberry.field(description="Untaxed, in base currency.")


@strawberry.type
class AnalyticsBucket:
    period: dt.date = strawberry.field(description="First day of the bucket.")
    revenue: MonetaryAmount = strawberry.field(description="Untaxed, in base currency.")
    quantity: Decimal
    order_count: int
    average_order_value: MonetaryAmount
    key: strawberry.Private[uuid.UUID | None]
    group_by: strawberry.Private[str]

    @strawberry.field(description="Set when grouped by product.")
    def product(self) -> Product | None:
        return Product(id=_id(self.key)) if self.key and self.group_by == "PRODUCT" else None

    @strawberry.field(description="Set when grouped by customer.")
    def customer(self) -> Customer | None:
        return Customer(id=_id(self.key)) if self.key and self.group_by == "CUSTOMER" else None


@strawberry.type
class TopCustomer:
    customer: Customer
    revenue: MonetaryAmount
    order_count: int


@strawberry.type
class TopProduct:
    product: Product
    revenue: MonetaryAmount
    quantity: Decimal
    order_count: int


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
        row = await loaders.orders(ctx).load(_uuid(id))
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
                    customer_id=_opt(f.customer_id),
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
        row = await loaders.invoices(ctx).load(_uuid(id))
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
                    order_id=_opt(f.order_id),
                    customer_id=_opt(f.customer_id),
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
            rows = await service.list_tax_rates(session, tenant)
        return [TaxRate.from_model(r) for r in rows]

    @strawberry.field(description="Orders per state, valued in base currency.")
    async def sales_pipeline(self, info: Info[Any, Any]) -> list[SalesPipelineStage]:
        ctx = context(info)
        tenant = ctx.require(READ).tenant_id
        async with ctx.session() as session:
            rows = await analytics.pipeline(session, tenant)
            base = await service.base_currency(session, tenant)
        return [
            SalesPipelineStage(
                state=SalesOrderStatus(r.state), count=r.count, amount=_money(r.amount, base)
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
            base = await service.base_currency(session, tenant)
        return [
            AnalyticsBucket(
                period=b.period,
                revenue=_money(b.revenue, base),
                quantity=b.quantity,
                order_count=b.order_count,
                average_order_value=_money(b.average_order_value, base),
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
            base = await service.base_currency(session, tenant)
        return [
            TopCustomer(
                customer=Customer(id=_id(r.id)),
                revenue=_money(r.revenue, base),
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
            base = await service.base_currency(session, tenant)
        return [
            TopProduct(
                product=Product(id=_id(r.id)),
                revenue=_money(r.revenue, base),
                quantity=r.quantity,
                order_count=r.order_count,
            )
            for r in rows
        ]


# --- mutations ----------------------------------------------------------------------


@strawberry.input
class SalesOrderLineInput:
    product_id: strawberry.ID
    quantity: Decimal
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's sales price."
    )
    discount_percent: Decimal = Decimal(0)
    tax_rate_id: strawberry.ID | None = None
    description: str | None = None


def _lines(lines: list[SalesOrderLineInput]) -> list[service.LineInput]:
    return [
        service.LineInput(
            product_id=_uuid(ln.product_id),
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent,
            tax_rate_id=_opt(ln.tax_rate_id),
            description=ln.description,
        )
        for ln in lines
    ]


@strawberry.input
class CreateSalesOrderInput:
    customer_id: strawberry.ID
    lines: list[SalesOrderLineInput]
    currency: str | None = strawberry.field(default=None, description="Customer's by default.")
    order_date: dt.date | None = None
    warehouse_id: strawberry.ID | None = None
    notes: str = ""


@strawberry.input
class UpdateSalesOrderInput:
    id: strawberry.ID
    lines: list[SalesOrderLineInput] | None = strawberry.field(
        default=None, description="Replaces every line."
    )
    notes: str | None = None
    order_date: dt.date | None = None


@strawberry.input
class SalesOrderIdInput:
    id: strawberry.ID


@strawberry.input
class ConfirmSalesOrderInput:
    id: strawberry.ID
    allow_backorder: bool = False


@strawberry.input
class LineQuantityInput:
    line_id: strawberry.ID
    quantity: Decimal


def _line_quantities(lines: list[LineQuantityInput]) -> list[service.LineQuantity]:
    return [service.LineQuantity(_uuid(ln.line_id), ln.quantity) for ln in lines]


@strawberry.input
class DeliverSalesOrderInput:
    id: strawberry.ID
    lines: list[LineQuantityInput] | None = strawberry.field(
        default=None, description="Everything still open when omitted."
    )


@strawberry.input
class RegisterPaymentInput:
    invoice_id: strawberry.ID
    amount: Decimal
    date: dt.date | None = None


@strawberry.input
class ReturnSalesOrderInput:
    order_id: strawberry.ID
    lines: list[LineQuantityInput]
    reason: str


@strawberry.input
class CreateTaxRateInput:
    name: str
    percent: Decimal


@strawberry.input
class SetExchangeRateInput:
    currency: str
    date: dt.date
    rate: Decimal = strawberry.field(description="Base-currency value of one unit.")


@strawberry.type
class SalesOrderPayload:
    order: SalesOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PaymentPayload:
    payment: Payment | None = None
    invoice: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReturnPayload:
    order: SalesOrder | None = None
    credit_note: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TaxRatePayload:
    tax_rate: TaxRate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ExchangeRatePayload:
    exchange_rate: ExchangeRate | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _order(row: models.SalesOrder | None, errors: list[UserError]) -> SalesOrderPayload:
    return SalesOrderPayload(order=SalesOrder.from_model(row) if row else None, errors=errors)


def _invoice(row: models.Invoice | None, errors: list[UserError]) -> InvoicePayload:
    return InvoicePayload(invoice=Invoice.from_model(row) if row else None, errors=errors)


Action = Callable[[AsyncSession, Principal], Awaitable[M]]


async def _idempotent(
    info: Info[Any, Any],
    operation: str,
    input: object,
    action: Action[M],
    replay: Callable[[AsyncSession, TenantId, uuid.UUID], Awaitable[M]],
) -> tuple[M | None, list[UserError]]:
    """`perform`, honouring the request's `Idempotency-Key` (see `idempotency.py`)."""
    key = context(info).headers.get("idempotency-key")
    if key is None:
        return await perform(info, WRITE, action)
    request = dataclasses.asdict(input)  # type: ignore[call-overload]

    async def once(session: AsyncSession, principal: Principal) -> M:
        tenant = principal.tenant_id
        stored = await idempotency.claim(
            session, tenant, key=key, operation=operation, request=request
        )
        if stored is not None:
            return await replay(session, tenant, stored)
        result = await action(session, principal)
        await idempotency.record(
            session, tenant, key=key, result_type=operation, result_id=result.id
        )
        return result

    return await perform(info, WRITE, once)


async def _replay_order(
    session: AsyncSession, tenant: TenantId, id: uuid.UUID
) -> models.SalesOrder:
    return await service.get_order(session, tenant, id)


async def _replay_invoice(session: AsyncSession, tenant: TenantId, id: uuid.UUID) -> models.Invoice:
    return await invoicing.get_invoice(session, tenant, id)


async def _replay_payment(session: AsyncSession, tenant: TenantId, id: uuid.UUID) -> models.Payment:
    payment = await session.get(models.Payment, (tenant, id))
    assert payment is not None
    return payment


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_tax_rate(
        self, info: Info[Any, Any], input: CreateTaxRateInput
    ) -> TaxRatePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.create_tax_rate(
                s, p.tenant_id, name=input.name, percent=input.percent
            ),
        )
        return TaxRatePayload(tax_rate=TaxRate.from_model(row) if row else None, errors=errors)

    @strawberry.mutation(description="Daily rate: one unit of `currency` in base currency.")
    async def set_exchange_rate(
        self, info: Info[Any, Any], input: SetExchangeRateInput
    ) -> ExchangeRatePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.set_exchange_rate(
                s, p.tenant_id, currency=input.currency, on=input.date, rate=input.rate
            ),
        )
        rate = ExchangeRate(currency=row.currency, date=row.date, rate=row.rate) if row else None
        return ExchangeRatePayload(exchange_rate=rate, errors=errors)

    @strawberry.mutation(description="A quotation. Honours the Idempotency-Key header.")
    async def create_sales_order(
        self, info: Info[Any, Any], input: CreateSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await _idempotent(
            info,
            "createSalesOrder",
            input,
            lambda s, p: service.create_sales_order(
                s,
                p.tenant_id,
                customer_id=_uuid(input.customer_id),
                lines=_lines(input.lines),
                currency=input.currency,
                order_date=input.order_date,
                warehouse_id=_opt(input.warehouse_id),
                notes=input.notes,
                salesperson_id=p.user_id,
            ),
            _replay_order,
        )
        return _order(row, errors)

    @strawberry.mutation(description="Only quotations are editable.")
    async def update_sales_order(
        self, info: Info[Any, Any], input: UpdateSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: service.update_sales_order(
                s,
                p.tenant_id,
                _uuid(input.id),
                lines=_lines(input.lines) if input.lines is not None else None,
                notes=input.notes,
                order_date=input.order_date,
            ),
        )
        return _order(row, errors)

    @strawberry.mutation
    async def send_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: service.send_sales_order(s, p.tenant_id, _uuid(input.id))
        )
        return _order(row, errors)

    @strawberry.mutation(
        description="Checks the customer and reserves stock, all or nothing; a shortfall is "
        "an INSUFFICIENT_STOCK error unless allowBackorder. Honours Idempotency-Key."
    )
    async def confirm_sales_order(
        self, info: Info[Any, Any], input: ConfirmSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await _idempotent(
            info,
            "confirmSalesOrder",
            input,
            lambda s, p: service.confirm_sales_order(
                s, p.tenant_id, _uuid(input.id), allow_backorder=input.allow_backorder
            ),
            _replay_order,
        )
        return _order(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key header.")
    async def deliver_sales_order(
        self, info: Info[Any, Any], input: DeliverSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await _idempotent(
            info,
            "deliverSalesOrder",
            input,
            lambda s, p: service.deliver_sales_order(
                s,
                p.tenant_id,
                _uuid(input.id),
                lines=_line_quantities(input.lines) if input.lines is not None else None,
                actor=p.user_id,
            ),
            _replay_order,
        )
        return _order(row, errors)

    @strawberry.mutation(description="Releases reservations; refused once goods left.")
    async def cancel_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info, WRITE, lambda s, p: service.cancel_sales_order(s, p.tenant_id, _uuid(input.id))
        )
        return _order(row, errors)

    @strawberry.mutation(
        description="Invoices what is delivered and not yet invoiced. Honours Idempotency-Key."
    )
    async def invoice_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> InvoicePayload:
        row, errors = await _idempotent(
            info,
            "invoiceSalesOrder",
            input,
            lambda s, p: invoicing.invoice_sales_order(s, p.tenant_id, _uuid(input.id)),
            _replay_invoice,
        )
        return _invoice(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key header.")
    async def register_payment(
        self, info: Info[Any, Any], input: RegisterPaymentInput
    ) -> PaymentPayload:
        async def pay(session: AsyncSession, principal: Principal) -> models.Payment:
            _, payment = await invoicing.register_payment(
                session,
                principal.tenant_id,
                _uuid(input.invoice_id),
                amount=input.amount,
                on=input.date,
            )
            return payment

        row, errors = await _idempotent(info, "registerPayment", input, pay, _replay_payment)
        if row is None:
            return PaymentPayload(errors=errors)
        invoice = await loaders.invoices(context(info)).load(row.invoice_id)
        assert invoice is not None
        return PaymentPayload(
            payment=_payment(row, invoice.currency),
            invoice=Invoice.from_model(invoice),
            errors=errors,
        )

    @strawberry.mutation(description="Goods back to stock and a credit note for what was invoiced.")
    async def return_sales_order(
        self, info: Info[Any, Any], input: ReturnSalesOrderInput
    ) -> ReturnPayload:
        result, errors = await perform(
            info,
            WRITE,
            lambda s, p: invoicing.return_sales_order(
                s,
                p.tenant_id,
                _uuid(input.order_id),
                lines=_line_quantities(input.lines),
                reason=input.reason,
                actor=p.user_id,
            ),
        )
        if result is None:
            return ReturnPayload(errors=errors)
        ret, credit_note = result
        order = await loaders.orders(context(info)).load(ret.order_id)
        assert order is not None
        return ReturnPayload(
            order=SalesOrder.from_model(order),
            credit_note=Invoice.from_model(credit_note) if credit_note else None,
            errors=errors,
        )


TYPES = [SalesOrder, Invoice, Customer, Product, User, Warehouse]
