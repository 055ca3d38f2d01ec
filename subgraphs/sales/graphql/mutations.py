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
from shared.codes import Code
from shared.errors import InvalidInput
from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.resolvers import load_required, perform, perform_idempotent
from shared.graphql.types import UserError
from subgraphs.sales import (
    credit,
    credit_notes,
    deliveries,
    invoicing,
    models,
    orders,
    rates,
    returns,
    settings,
)
from subgraphs.sales.graphql import loaders
from subgraphs.sales.graphql.inputs import (
    ApplyCreditNoteInput,
    ConfirmSalesOrderInput,
    CreateSalesOrderInput,
    CreateTaxRateInput,
    DeliverSalesOrderInput,
    RefundCreditNoteInput,
    RegisterPaymentInput,
    ReturnSalesOrderInput,
    SalesOrderIdInput,
    SetExchangeRateInput,
    SetSalesSettingsInput,
    UpdateSalesOrderInput,
)
from subgraphs.sales.graphql.types import (
    WRITE,
    CreditApplication,
    ExchangeRate,
    Invoice,
    Payment,
    SalesOrder,
    SalesSettings,
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
class RefundPayload:
    refund: Payment | None = None
    credit_note: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreditApplicationPayload:
    application: CreditApplication | None = None
    credit_note: Invoice | None = None
    invoice: Invoice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SalesSettingsPayload:
    settings: SalesSettings | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _may_override_credit(principal: Principal, wanted: bool) -> bool:
    """The flag, once the caller is allowed it; FORBIDDEN at `overrideCreditLimit` if not."""
    if wanted and not principal.can(credit.OVERRIDE_PERMISSION):
        raise InvalidInput.one(
            "overrideCreditLimit",
            Code.FORBIDDEN,
            f"Confirming over a credit limit needs {credit.OVERRIDE_PERMISSION}",
        )
    return wanted


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
                warehouse_id=parse_opt_id(input.warehouse_id),
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
                s,
                p.tenant_id,
                parse_id(input.id),
                allow_backorder=input.allow_backorder,
                override_credit_limit=_may_override_credit(p, input.override_credit_limit),
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
        description="Cancels what is left of a partly delivered order: releases its "
        "reservations and backorders and finishes it as DELIVERED; the delivered part stays "
        "and can still be invoiced."
    )
    async def close_sales_order(
        self, info: Info[Any, Any], input: SalesOrderIdInput
    ) -> SalesOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: orders.close_sales_order(s, p.tenant_id, parse_id(input.id)),
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
            lambda s, p: invoicing.invoice_sales_order(
                s, p.tenant_id, parse_id(input.id), on=input.invoice_date
            ),
            invoicing.get_invoice,
            rename={**ORDER_ID, "on": "invoiceDate"},
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

    @strawberry.mutation(
        description="Money paid back on a credit note (a REFUND payment). Honours the"
        " Idempotency-Key header."
    )
    async def refund_credit_note(
        self, info: Info[Any, Any], input: RefundCreditNoteInput
    ) -> RefundPayload:
        async def refund(session: AsyncSession, principal: Principal) -> models.Payment:
            _, payment = await credit_notes.refund_credit_note(
                session,
                principal.tenant_id,
                parse_id(input.credit_note_id),
                amount=input.amount,
                on=input.date,
            )
            return payment

        row, errors = await perform_idempotent(
            info,
            "accounting:write",
            "refundCreditNote",
            input,
            refund,
            invoicing.get_payment,
            rename={"on": "date"},
        )
        if row is None:
            return RefundPayload(errors=errors)
        note = await load_required(info, loaders.invoices, row.invoice_id, Invoice.from_model)
        return RefundPayload(
            refund=Payment.from_model(row, note.currency), credit_note=note, errors=errors
        )

    @strawberry.mutation(
        description="Sets part of a credit note against an open invoice of the same customer"
        " and currency. Honours the Idempotency-Key header."
    )
    async def apply_credit_note(
        self, info: Info[Any, Any], input: ApplyCreditNoteInput
    ) -> CreditApplicationPayload:
        row, errors = await perform_idempotent(
            info,
            "accounting:write",
            "applyCreditNote",
            input,
            lambda s, p: credit_notes.apply_credit_note(
                s,
                p.tenant_id,
                parse_id(input.credit_note_id),
                invoice_id=parse_id(input.invoice_id),
                amount=input.amount,
                on=input.date,
            ),
            credit_notes.get_application,
            rename={"on": "date"},
        )
        if row is None:
            return CreditApplicationPayload(errors=errors)
        note = await load_required(info, loaders.invoices, row.credit_note_id, Invoice.from_model)
        invoice = await load_required(info, loaders.invoices, row.invoice_id, Invoice.from_model)
        return CreditApplicationPayload(
            application=CreditApplication.from_model(row, note.currency),
            credit_note=note,
            invoice=invoice,
            errors=errors,
        )

    @strawberry.mutation(description="The tenant's sales defaults (the default warehouse).")
    async def set_sales_settings(
        self, info: Info[Any, Any], input: SetSalesSettingsInput
    ) -> SalesSettingsPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: settings.set_default_warehouse(
                s, p.tenant_id, warehouse_id=parse_opt_id(input.default_warehouse_id)
            ),
            rename={"warehouseId": "defaultWarehouseId"},
        )
        if row is None:
            return SalesSettingsPayload(errors=errors)
        return SalesSettingsPayload(
            settings=SalesSettings(default_warehouse_id=row.default_warehouse_id), errors=errors
        )

    @strawberry.mutation(
        description="Goods back into the location their condition says, and a credit note for"
        " what was invoiced."
    )
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
                condition=input.condition,
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
