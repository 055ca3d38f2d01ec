"""Sales' mutations. Thin: parse, call the service, map.

Each mutation field is its own unit of work (see `shared.graphql`); those that create or
post documents honour the `Idempotency-Key` header (see `shared/idempotency.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared.auth import Principal
from shared.db import TenantId
from shared.graphql import UserError, context, perform
from shared.idempotency import perform_idempotent
from subgraphs.sales import invoicing, loaders, models, rates, service
from subgraphs.sales.objects import (
    WRITE,
    ExchangeRate,
    Invoice,
    Payment,
    SalesOrder,
    TaxRate,
    opt_uuid,
    parse_uuid,
    payment_of,
)

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
            product_id=parse_uuid(ln.product_id),
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent,
            tax_rate_id=opt_uuid(ln.tax_rate_id),
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
    return [service.LineQuantity(parse_uuid(ln.line_id), ln.quantity) for ln in lines]


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
            WRITE,
            lambda s, p: rates.set_exchange_rate(
                s, p.tenant_id, currency=input.currency, on=input.date, rate=input.rate
            ),
        )
        rate = ExchangeRate(currency=row.currency, date=row.date, rate=row.rate) if row else None
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
            lambda s, p: service.create_sales_order(
                s,
                p.tenant_id,
                customer_id=parse_uuid(input.customer_id),
                lines=_lines(input.lines),
                currency=input.currency,
                order_date=input.order_date,
                warehouse_id=opt_uuid(input.warehouse_id),
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
                parse_uuid(input.id),
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
            info, WRITE, lambda s, p: service.send_sales_order(s, p.tenant_id, parse_uuid(input.id))
        )
        return _order(row, errors)

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
            lambda s, p: service.confirm_sales_order(
                s, p.tenant_id, parse_uuid(input.id), allow_backorder=input.allow_backorder
            ),
            _replay_order,
        )
        return _order(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key header.")
    async def deliver_sales_order(
        self, info: Info[Any, Any], input: DeliverSalesOrderInput
    ) -> SalesOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "deliverSalesOrder",
            input,
            lambda s, p: service.deliver_sales_order(
                s,
                p.tenant_id,
                parse_uuid(input.id),
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
            info,
            WRITE,
            lambda s, p: service.cancel_sales_order(s, p.tenant_id, parse_uuid(input.id)),
        )
        return _order(row, errors)

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
            lambda s, p: invoicing.invoice_sales_order(s, p.tenant_id, parse_uuid(input.id)),
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
                parse_uuid(input.invoice_id),
                amount=input.amount,
                on=input.date,
            )
            return payment

        row, errors = await perform_idempotent(
            info, WRITE, "registerPayment", input, pay, _replay_payment
        )
        if row is None:
            return PaymentPayload(errors=errors)
        invoice = await loaders.invoices(context(info)).load(row.invoice_id)
        assert invoice is not None
        return PaymentPayload(
            payment=payment_of(row, invoice.currency),
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
                parse_uuid(input.order_id),
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
