"""Sales' mutations and their payloads. Thin: parse, call the service, map.

Each mutation field is its own unit of work (see `shared.graphql.unit_of_work`); those
that create or post documents honour the `Idempotency-Key` header (see
`shared.idempotency`). Services name problems by their own arguments (`orderId`,
`lines.0.quantity`); `perform` puts them under `input` with the input's field names.
"""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.auth import Principal
from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.resolvers import load_required, perform, perform_idempotent
from shared.graphql.types import UserError
from subgraphs.sales import deliveries, invoicing, models, orders, rates, returns
from subgraphs.sales.graphql import loaders
from subgraphs.sales.graphql.inputs import (
    ConfirmSalesOrderInput,
    CreateSalesOrderInput,
    CreateTaxRateInput,
    DeliverSalesOrderInput,
    RegisterPaymentInput,
    ReturnSalesOrderInput,
    SalesOrderIdInput,
    SetExchangeRateInput,
    UpdateSalesOrderInput,
)
from subgraphs.sales.graphql.types import (
    WRITE,
    ExchangeRate,
    Invoice,
    Payment,
    SalesOrder,
    TaxRate,
)

ORDER_ID = {"orderId": "id"}
"""The order services' `order_id` is the input's `id`."""


Returned = tuple[models.SalesReturn, models.Invoice | None]
"""A return and its credit note (None when nothing returned was invoiced)."""


def _return_id(result: Returned) -> uuid.UUID:
    """What a replayed returnSalesOrder loads again: the return (with its credit note)."""
    return result[0].id


@strawberry.type
class SalesOrderPayload:
    order: SalesOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.SalesOrder | None, errors: list[UserError]) -> SalesOrderPayload:
        return cls(order=SalesOrder.from_model(row) if row else None, errors=errors)


@strawberry.type
class InvoicePayload:
    invoice: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Invoice | None, errors: list[UserError]) -> InvoicePayload:
        return cls(invoice=Invoice.from_model(row) if row else None, errors=errors)


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


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_tax_rate(
        self, info: Info[Any, Any], input: CreateTaxRateInput
    ) -> TaxRatePayload:
        row, errors = await perform(
            info,
            "finance:write",
            lambda s, p: rates.create_tax_rate(
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
            "finance:write",
            lambda s, p: rates.set_exchange_rate(
                s, p.tenant_id, currency=input.currency, on=input.date, rate=input.rate
            ),
            rename={"on": "date"},
        )
        rate = ExchangeRate.from_model(row) if row else None
        return ExchangeRatePayload(exchange_rate=rate, errors=errors)

    @strawberry.mutation(description="A quotation. Honours the Idempotency-Key header.")
    async def create_sales_order(
        self, info: Info[Any, Any], input: CreateSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "createSalesOrder",
            input,
            lambda s, p: orders.create_sales_order(
                s,
                p.tenant_id,
                customer_id=parse_id(input.customer_id),
                lines=[ln.to_line() for ln in input.lines],
                currency=input.currency,
                order_date=input.order_date,
                warehouse_id=parse_opt_id(input.warehouse_id),
                notes=input.notes,
                salesperson_id=p.user_id,
            ),
            orders.get_order,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation(description="Only quotations are editable.")
    async def update_sales_order(
        self, info: Info[Any, Any], input: UpdateSalesOrderInput
    ) -> SalesOrderPayload:
        lines = [ln.to_line() for ln in input.lines] if input.lines is not None else None
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: orders.update_sales_order(
                s,
                p.tenant_id,
                parse_id(input.id),
                lines=lines,
                notes=input.notes,
                order_date=input.order_date,
            ),
            rename=ORDER_ID,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation
    async def send_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: orders.send_sales_order(s, p.tenant_id, parse_id(input.id)),
            rename=ORDER_ID,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Checks the customer and reserves stock, all or nothing; a shortfall is "
        "an INSUFFICIENT_STOCK error unless allowBackorder. Honours Idempotency-Key."
    )
    async def confirm_sales_order(
        self, info: Info[Any, Any], input: ConfirmSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "confirmSalesOrder",
            input,
            lambda s, p: orders.confirm_sales_order(
                s, p.tenant_id, parse_id(input.id), allow_backorder=input.allow_backorder
            ),
            orders.get_order,
            rename=ORDER_ID,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key header.")
    async def deliver_sales_order(
        self, info: Info[Any, Any], input: DeliverSalesOrderInput
    ) -> SalesOrderPayload:
        lines = [ln.to_line() for ln in input.lines] if input.lines is not None else None
        row, errors = await perform_idempotent(
            info,
            "sales:deliver",
            "deliverSalesOrder",
            input,
            lambda s, p: deliveries.deliver_sales_order(
                s, p.tenant_id, parse_id(input.id), lines=lines, actor=p.user_id
            ),
            orders.get_order,
            rename=ORDER_ID,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation(description="Releases reservations; refused once goods left.")
    async def cancel_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: orders.cancel_sales_order(s, p.tenant_id, parse_id(input.id)),
            rename=ORDER_ID,
        )
        return SalesOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Invoices what is delivered and not yet invoiced. Honours Idempotency-Key."
    )
    async def invoice_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> InvoicePayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "invoiceSalesOrder",
            input,
            lambda s, p: invoicing.invoice_sales_order(s, p.tenant_id, parse_id(input.id)),
            invoicing.get_invoice,
            rename=ORDER_ID,
        )
        return InvoicePayload.of(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key header.")
    async def register_payment(
        self, info: Info[Any, Any], input: RegisterPaymentInput
    ) -> PaymentPayload:
        async def pay(session: AsyncSession, principal: Principal) -> models.Payment:
            _, payment = await invoicing.register_payment(
                session,
                principal.tenant_id,
                parse_id(input.invoice_id),
                amount=input.amount,
                on=input.date,
            )
            return payment

        row, errors = await perform_idempotent(
            info,
            "accounting:write",
            "registerPayment",
            input,
            pay,
            invoicing.get_payment,
            rename={"on": "date"},
        )
        if row is None:
            return PaymentPayload(errors=errors)
        invoice = await load_required(info, loaders.invoices, row.invoice_id, Invoice.from_model)
        return PaymentPayload(
            payment=Payment.from_model(row, invoice.currency), invoice=invoice, errors=errors
        )

    @strawberry.mutation(description="Goods back to stock and a credit note for what was invoiced.")
    async def return_sales_order(
        self, info: Info[Any, Any], input: ReturnSalesOrderInput
    ) -> ReturnPayload:
        outcome = await perform_idempotent(
            info,
            WRITE,
            "returnSalesOrder",
            input,
            lambda s, p: returns.return_sales_order(
                s,
                p.tenant_id,
                parse_id(input.order_id),
                lines=[ln.to_line() for ln in input.lines],
                reason=input.reason,
                actor=p.user_id,
            ),
            returns.get_return,
            identify=_return_id,
        )
        result, errors = outcome  # (unpacked apart: as the call's context it upsets mypy)
        if result is None:
            return ReturnPayload(errors=errors)
        ret, credit_note = result
        return ReturnPayload(
            order=await load_required(info, loaders.orders, ret.order_id, SalesOrder.from_model),
            credit_note=Invoice.from_model(credit_note) if credit_note else None,
            errors=errors,
        )
