"""Sales' GraphQL input types and their conversion to the services' arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.sales import deliveries, orders, reads
from subgraphs.sales.graphql.types import (
    AnalyticsGroupBy,
    AnalyticsInterval,
    InvoiceKind,
    InvoiceStatus,
    InvoicingStatus,
    ReturnCondition,
    SalesOrderOrderField,
    SalesOrderStatus,
)
from subgraphs.sales.orders import today

# --- queries ------------------------------------------------------------------------


@strawberry.input
class SalesOrderFilter:
    customer_id: strawberry.ID | None = None
    status: list[SalesOrderStatus] | None = None
    invoice_status: InvoicingStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")

    def to_filter(self) -> reads.OrderFilter:
        return reads.OrderFilter(
            customer_id=parse_opt_id(self.customer_id),
            statuses=list(self.status or ()),
            invoice_status=self.invoice_status,
            date_from=self.date_from,
            date_to=self.date_to,
            search=self.search,
        )


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
    overdue: bool | None = strawberry.field(
        default=None,
        description="true: only invoices past their due date today with something still due.",
    )

    def to_filter(self) -> reads.InvoiceFilter:
        return reads.InvoiceFilter(
            order_id=parse_opt_id(self.order_id),
            customer_id=parse_opt_id(self.customer_id),
            kind=self.kind,
            status=self.status,
            search=self.search,
            overdue_on=today() if self.overdue else None,
        )


@strawberry.input
class SalesAnalyticsInput:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    interval: AnalyticsInterval = AnalyticsInterval.MONTH
    group_by: AnalyticsGroupBy = AnalyticsGroupBy.NONE


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

    def to_line(self) -> orders.LineInput:
        return orders.LineInput(
            product_id=parse_id(self.product_id),
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            tax_rate_id=parse_opt_id(self.tax_rate_id),
            description=self.description,
        )


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
    warehouse_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where the order ships from; changeable until confirmed."
    )


@strawberry.input
class SalesOrderIdInput:
    id: strawberry.ID
    invoice_date: dt.date | None = strawberry.field(
        default=None,
        description="invoiceSalesOrder only (the other mutations ignore it): the invoice"
        " date, today by default; not after today, not before the order's confirmation, not"
        " before the latest invoice posted.",
    )


@strawberry.input
class ConfirmSalesOrderInput:
    id: strawberry.ID
    allow_backorder: bool = False
    override_credit_limit: bool = strawberry.field(
        default=False,
        description="Confirm even over the customer's credit limit; needs sales:override_credit.",
    )


@strawberry.input
class LineQuantityInput:
    line_id: strawberry.ID
    quantity: Decimal

    def to_line(self) -> deliveries.LineQuantity:
        return deliveries.LineQuantity(parse_id(self.line_id), self.quantity)


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
    date: dt.date | None = strawberry.field(
        default=None, description="Today by default; not before the invoice date, not after today."
    )


@strawberry.input
class RefundCreditNoteInput:
    credit_note_id: strawberry.ID
    amount: Decimal
    date: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input
class ApplyCreditNoteInput:
    credit_note_id: strawberry.ID
    invoice_id: strawberry.ID = strawberry.field(
        description="An open invoice of the same customer in the credit note's currency."
    )
    amount: Decimal
    date: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input
class ReturnSalesOrderInput:
    order_id: strawberry.ID
    lines: list[LineQuantityInput]
    reason: str
    condition: ReturnCondition = strawberry.field(
        default=ReturnCondition.INSPECT,
        description="Decides where the goods go: RESELLABLE to STOCK, INSPECT to QUALITY"
        " (on hand, not available), DAMAGED to SCRAP.",
    )


@strawberry.input
class SetSalesSettingsInput:
    default_warehouse_id: strawberry.ID | None = strawberry.field(
        description="null clears it (orders then default to the first warehouse by code)."
    )


@strawberry.input
class CreateTaxRateInput:
    name: str
    percent: Decimal


@strawberry.input
class SetExchangeRateInput:
    currency: str
    date: dt.date
    rate: Decimal = strawberry.field(description="Base-currency value of one unit.")
