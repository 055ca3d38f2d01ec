"""Sales' GraphQL object types and enums; inputs live in `inputs.py`, queries in
`queries.py`, mutations and their payloads in `mutations.py`.

Sales owns `SalesOrder` and `Invoice`, and extends CRM's `Customer` (order history and
figures) and stock's `Product` (sales stats); `SalesOrderLine.product` is a reference
that stock resolves. The enums are the models' and reads' StrEnums.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql.ids import parse_id, to_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import Loader, context, load_many, load_one, load_required, reference
from shared.graphql.types import Money
from subgraphs.sales import analytics, invoicing, models, reads, receivables
from subgraphs.sales.graphql import loaders
from subgraphs.sales.orders import CENT

READ, WRITE = "sales:read", "sales:write"

# References into another subgraph are nullable, so its outage nulls them and not their
# parents (README "Nullability across subgraphs").
CRM_REFERENCE = "Null only when crm cannot answer: the document always names a customer."
STOCK_REFERENCE = "Null only when stock cannot answer: it is always set."

# The GraphQL enums are the StrEnums of models, reads and analytics, under their GraphQL
# names; inputs import them from here, so they are named before any type uses them.
SalesOrderStatus = models.OrderState
InvoicingStatus = models.InvoicingStatus
InvoiceKind = models.InvoiceKind
InvoiceStatus = models.InvoiceStatus
SalesOrderOrderField = reads.OrderSort
AnalyticsInterval = analytics.Interval
AnalyticsGroupBy = analytics.GroupBy
PaymentKind = models.PaymentKind
ReturnCondition = models.ReturnCondition
for _enum, _name in (
    (PaymentKind, "PaymentKind"),
    (ReturnCondition, "ReturnCondition"),
    (SalesOrderStatus, "SalesOrderStatus"),
    (InvoicingStatus, "InvoicingStatus"),
    (InvoiceKind, "InvoiceKind"),
    (InvoiceStatus, "InvoiceStatus"),
    (SalesOrderOrderField, "SalesOrderOrderField"),
    (AnalyticsInterval, "AnalyticsInterval"),
    (AnalyticsGroupBy, "AnalyticsGroupBy"),
):
    strawberry.enum(_enum, name=_name)


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount.quantize(CENT), currency=currency)


async def base_currency(info: Info[Any, Any]) -> str:
    """The tenant's base currency, through the request's loader."""
    return await loaders.base_currency(context(info)).load(reads.BASE)


async def guarded(info: Info[Any, Any], loader: Loader[Any], key: Any) -> Any:
    """Sales figures on an entity another subgraph owns: `sales:read` first, then the
    request's loader (the entity itself may be readable without it)."""
    ctx = context(info)
    ctx.require(READ)
    return await loader(ctx).load(key)


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
    revenue: Money = strawberry.field(description="Untaxed, in base currency.")
    order_count: int


@strawberry.federation.type(keys=["id"], description="Stock's product, with its sales.")
class Product:
    id: strawberry.ID

    @strawberry.field(
        description="Booked (confirmed, not cancelled) orders in the period. Null only when"
        " sales cannot answer."
    )
    async def sales_stats(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
    ) -> ProductSalesStats | None:
        figures: reads.ProductFigures = await guarded(
            info, loaders.product_figures, (parse_id(self.id), from_, to)
        )
        return ProductSalesStats(
            quantity=figures.quantity,
            revenue=money(figures.revenue, await base_currency(info)),
            order_count=figures.order_count,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="CRM's customer, with its orders.")
class Customer:
    id: strawberry.ID

    @strawberry.field(description="Newest first. Null only when sales cannot answer.")
    async def orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        status: list[SalesOrderStatus] | None = None,
    ) -> Connection[SalesOrder] | None:
        key = (parse_id(self.id), first, after, tuple(sorted(status or ())))
        page = await guarded(info, loaders.orders_by_customer, key)
        return Connection.of(page, SalesOrder.from_model)

    @strawberry.field(
        description="Confirmed, not cancelled orders. Null only when sales cannot answer."
    )
    async def order_count(self, info: Info[Any, Any]) -> int | None:
        figures: reads.CustomerFigures = await guarded(
            info, loaders.customer_figures, parse_id(self.id)
        )
        return figures.order_count

    @strawberry.field(
        description="Untaxed value of booked orders net of returns and their credit notes, in"
        " base currency. Null only when sales cannot answer."
    )
    async def lifetime_value(self, info: Info[Any, Any]) -> Money | None:
        figures: reads.CustomerFigures = await guarded(
            info, loaders.customer_figures, parse_id(self.id)
        )
        return money(figures.lifetime_value, await base_currency(info))

    @strawberry.field
    async def last_order_at(self, info: Info[Any, Any]) -> dt.datetime | None:
        figures: reads.CustomerFigures = await guarded(
            info, loaders.customer_figures, parse_id(self.id)
        )
        return figures.last_order_at

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
        return cls(id=to_id(r.id), name=r.name, percent=r.percent)


@strawberry.type
class ExchangeRate:
    currency: str
    date: dt.date
    rate: Decimal

    @classmethod
    def from_model(cls, r: models.ExchangeRate) -> ExchangeRate:
        return cls(currency=r.currency, date=r.date, rate=r.rate)


@strawberry.type
class SalesOrderLine:
    id: strawberry.ID
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal = strawberry.field(description="Net of credit notes.")
    price_currency: str | None = strawberry.field(
        description="The currency of the product price the unit price was converted from;"
        " null when the unit price was entered."
    )
    price_exchange_rate: Decimal | None = strawberry.field(
        description="Order-currency units per unit of `priceCurrency` on the order date (1"
        " for the same currency); the unit price is the product price times it, in cents."
    )
    product_id: strawberry.Private[uuid.UUID]
    tax_rate_id: strawberry.Private[uuid.UUID | None]
    order_id: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def from_model(cls, ln: models.SalesOrderLine, currency: str) -> SalesOrderLine:
        return cls(
            id=to_id(ln.id),
            position=ln.position,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent,
            tax_percent=ln.tax_percent,
            untaxed=money(ln.untaxed, currency),
            tax=money(ln.tax, currency),
            total=money(ln.total, currency),
            delivered_quantity=ln.delivered_qty,
            returned_quantity=ln.returned_qty,
            invoiced_quantity=ln.invoiced_qty,
            price_currency=ln.price_currency,
            price_exchange_rate=ln.price_exchange_rate,
            product_id=ln.product_id,
            tax_rate_id=ln.tax_rate_id,
            order_id=ln.order_id,
        )

    @strawberry.field(
        description="Ordered, not delivered and not yet reserved: the open backorder that "
        "waits for stock (reserved first, oldest order first, when goods arrive). 0 once "
        "the order is closed or cancelled."
    )
    async def backordered_quantity(self, info: Info[Any, Any]) -> Decimal:
        if self.order_id is None:
            return Decimal(0)
        waiting = await loaders.backorders_by_order(context(info)).load(self.order_id)
        return waiting.get(str(parse_id(self.id)), Decimal(0))

    @strawberry.field(description=STOCK_REFERENCE)
    def product(self) -> Product | None:
        return Product(id=to_id(self.product_id))

    @strawberry.field
    async def tax_rate(self, info: Info[Any, Any]) -> TaxRate | None:
        return await load_one(info, loaders.tax_rates, self.tax_rate_id, TaxRate.from_model)


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
    untaxed: Money
    tax: Money
    total: Money
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
            id=to_id(o.id),
            number=o.number,
            status=models.OrderState(o.status),
            invoice_status=models.InvoicingStatus(o.invoice_status),
            currency=o.currency,
            order_date=o.order_date,
            exchange_rate=o.exchange_rate,
            untaxed=money(o.untaxed, o.currency),
            tax=money(o.tax, o.currency),
            total=money(o.total, o.currency),
            notes=o.notes,
            confirmed_at=o.confirmed_at,
            created_at=o.created_at,
            updated_at=o.updated_at,
            customer_id=o.customer_id,
            warehouse_id=o.warehouse_id,
            salesperson_id=o.salesperson_id,
        )

    @strawberry.field(description=CRM_REFERENCE)
    def customer(self) -> Customer | None:
        return Customer(id=to_id(self.customer_id))

    @strawberry.field(description=STOCK_REFERENCE)
    def warehouse(self) -> Warehouse | None:
        return Warehouse(id=to_id(self.warehouse_id))

    @strawberry.field
    def salesperson(self) -> User | None:
        return User(id=to_id(self.salesperson_id)) if self.salesperson_id else None

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[SalesOrderLine]:
        return await load_many(
            info,
            loaders.lines_by_order,
            parse_id(self.id),
            lambda r: SalesOrderLine.from_model(r, self.currency),
        )

    @strawberry.field
    async def invoices(self, info: Info[Any, Any]) -> list[Invoice]:
        return await load_many(
            info, loaders.invoices_by_order, parse_id(self.id), Invoice.from_model
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> SalesOrder | None:
        return await reference(info, READ, loaders.orders, id, cls.from_model)


@strawberry.type
class InvoiceLine:
    id: strawberry.ID
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, r: models.InvoiceLine, currency: str) -> InvoiceLine:
        return cls(
            id=to_id(r.id),
            quantity=r.quantity,
            unit_price=r.unit_price,
            discount_percent=r.discount_percent,
            tax_percent=r.tax_percent,
            untaxed=money(r.untaxed, currency),
            tax=money(r.tax, currency),
            total=money(r.total, currency),
            product_id=r.product_id,
        )

    @strawberry.field(description=STOCK_REFERENCE)
    def product(self) -> Product | None:
        return Product(id=to_id(self.product_id))


@strawberry.type(description="Money received on an invoice, or paid back on a credit note.")
class Payment:
    id: strawberry.ID
    kind: PaymentKind
    amount: Money
    date: dt.date
    created_at: dt.datetime

    @classmethod
    def from_model(cls, p: models.Payment, currency: str) -> Payment:
        return cls(
            id=to_id(p.id),
            kind=models.PaymentKind(p.kind),
            amount=money(p.amount, currency),
            date=p.date,
            created_at=p.created_at,
        )


@strawberry.type(description="Part of a credit note set against an open invoice.")
class CreditApplication:
    id: strawberry.ID
    amount: Money
    date: dt.date
    created_at: dt.datetime
    credit_note_id: strawberry.Private[uuid.UUID]
    invoice_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, a: models.CreditApplication, currency: str) -> CreditApplication:
        return cls(
            id=to_id(a.id),
            amount=money(a.amount, currency),
            date=a.date,
            created_at=a.created_at,
            credit_note_id=a.credit_note_id,
            invoice_id=a.invoice_id,
        )

    @strawberry.field
    async def credit_note(self, info: Info[Any, Any]) -> Invoice:
        return await load_required(info, loaders.invoices, self.credit_note_id, Invoice.from_model)

    @strawberry.field
    async def invoice(self, info: Info[Any, Any]) -> Invoice:
        return await load_required(info, loaders.invoices, self.invoice_id, Invoice.from_model)


@strawberry.federation.type(keys=["id"], description="A posted invoice or credit note.")
class Invoice:
    id: strawberry.ID
    number: str
    kind: InvoiceKind
    status: InvoiceStatus
    currency: str
    invoice_date: dt.date
    due_date: dt.date = strawberry.field(
        description="The invoice date plus the customer's payment terms; a credit note's date."
    )
    untaxed: Money
    tax: Money
    total: Money
    amount_paid: Money = strawberry.field(
        description="Settled so far: payments and applied credit (a credit note: refunds and"
        " applications)."
    )
    amount_due: Money
    reason: str
    posted_at: dt.datetime
    paid_at: dt.datetime | None
    order_id: strawberry.Private[uuid.UUID]
    customer_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, i: models.Invoice) -> Invoice:
        return cls(
            id=to_id(i.id),
            number=i.number,
            kind=models.InvoiceKind(i.kind),
            status=models.InvoiceStatus(i.status),
            currency=i.currency,
            invoice_date=i.invoice_date,
            due_date=i.due_date,
            untaxed=money(i.untaxed, i.currency),
            tax=money(i.tax, i.currency),
            total=money(i.total, i.currency),
            amount_paid=money(i.amount_paid, i.currency),
            amount_due=money(invoicing.amount_due(i), i.currency),
            reason=i.reason,
            posted_at=i.posted_at,
            paid_at=i.paid_at,
            order_id=i.order_id,
            customer_id=i.customer_id,
        )

    @strawberry.field(description=CRM_REFERENCE)
    def customer(self) -> Customer | None:
        return Customer(id=to_id(self.customer_id))

    @strawberry.field
    async def order(self, info: Info[Any, Any]) -> SalesOrder:
        return await load_required(info, loaders.orders, self.order_id, SalesOrder.from_model)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[InvoiceLine]:
        return await load_many(
            info,
            loaders.lines_by_invoice,
            parse_id(self.id),
            lambda r: InvoiceLine.from_model(r, self.currency),
        )

    @strawberry.field(description="Payments received, or for a credit note refunds paid.")
    async def payments(self, info: Info[Any, Any]) -> list[Payment]:
        return await load_many(
            info,
            loaders.payments_by_invoice,
            parse_id(self.id),
            lambda r: Payment.from_model(r, self.currency),
        )

    @strawberry.field(
        description="Credit set against this invoice, or applied from this credit note."
    )
    async def credit_applications(self, info: Info[Any, Any]) -> list[CreditApplication]:
        return await load_many(
            info,
            loaders.applications_by_document,
            parse_id(self.id),
            lambda r: CreditApplication.from_model(r, self.currency),
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Invoice | None:
        return await reference(info, READ, loaders.invoices, id, cls.from_model)


@strawberry.type
class SalesPipelineStage:
    state: SalesOrderStatus
    count: int
    amount: Money = strawberry.field(description="Untaxed, in base currency.")


@strawberry.type
class AnalyticsBucket:
    period: dt.date = strawberry.field(description="First day of the bucket.")
    revenue: Money = strawberry.field(description="Untaxed, in base currency.")
    quantity: Decimal
    order_count: int
    average_order_value: Money
    key: strawberry.Private[uuid.UUID | None]
    group_by: strawberry.Private[AnalyticsGroupBy]

    @strawberry.field(description="Set when grouped by product.")
    def product(self) -> Product | None:
        if self.key is None or self.group_by != analytics.GroupBy.PRODUCT:
            return None
        return Product(id=to_id(self.key))

    @strawberry.field(description="Set when grouped by customer.")
    def customer(self) -> Customer | None:
        if self.key is None or self.group_by != analytics.GroupBy.CUSTOMER:
            return None
        return Customer(id=to_id(self.key))


@strawberry.type
class TopCustomer:
    customer: Customer | None = strawberry.field(description=CRM_REFERENCE)
    revenue: Money
    order_count: int


@strawberry.type
class TopProduct:
    product: Product | None = strawberry.field(description=STOCK_REFERENCE)
    revenue: Money
    quantity: Decimal
    order_count: int


@strawberry.type(description="Amounts owed per aging bucket, in base currency.")
class AgingBuckets:
    current: Money = strawberry.field(description="Not yet due.")
    days_1_30: Money = strawberry.field(name="days1To30")
    days_31_60: Money = strawberry.field(name="days31To60")
    days_61_90: Money = strawberry.field(name="days61To90")
    over_90: Money = strawberry.field(name="over90", description="More than 90 days overdue.")
    total: Money

    @classmethod
    def of(cls, a: receivables.Aging, base: str) -> AgingBuckets:
        return cls(
            current=money(a.current, base),
            days_1_30=money(a.days_1_30, base),
            days_31_60=money(a.days_31_60, base),
            days_61_90=money(a.days_61_90, base),
            over_90=money(a.over_90, base),
            total=money(a.total, base),
        )


@strawberry.type
class CustomerAging:
    customer: Customer | None = strawberry.field(description=CRM_REFERENCE)
    buckets: AgingBuckets


@strawberry.type(description="What customers owe on `asOf`, by days past due.")
class ReceivablesAging:
    as_of: dt.date
    customers: list[CustomerAging] = strawberry.field(description="Largest total first.")
    total: AgingBuckets


@strawberry.type
class SalesSettings:
    default_warehouse_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(
        description="Where a new order ships from when none is named; null: the first"
        " warehouse by code."
    )
    def default_warehouse(self) -> Warehouse | None:
        return Warehouse(id=to_id(self.default_warehouse_id)) if self.default_warehouse_id else None


TYPES = [SalesOrder, Invoice, Customer, Product, User, Warehouse]
