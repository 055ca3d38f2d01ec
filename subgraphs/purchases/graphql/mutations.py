"""Purchases' mutations and their payloads. Document-posting mutations (creating and
confirming orders, receipts, bills, payments) honour the Idempotency-Key header."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, parse_opt_id, to_id
from shared.graphql.resolvers import perform, perform_idempotent
from shared.graphql.types import UserError
from subgraphs.purchases import (
    approval,
    bills,
    landed_costs,
    models,
    orders,
    policy,
    prices,
    reads,
    receipts,
    replenishment,
    suppliers,
)
from subgraphs.purchases.graphql.inputs import (
    AddLandedCostsInput,
    AddSupplierPriceInput,
    ConfirmPurchaseOrderInput,
    CreatePurchaseOrderInput,
    CreatePurchaseOrdersFromSuggestionsInput,
    CreateSupplierInput,
    CreateVendorBillInput,
    PayVendorBillInput,
    PurchaseOrderIdInput,
    ReceivePurchaseOrderInput,
    RejectPurchaseOrderInput,
    SetPreferredSupplierInput,
    SetPurchasePolicyInput,
    SupplierIdInput,
    SupplierPriceIdInput,
    UpdatePurchaseOrderInput,
    UpdateSupplierInput,
    UpdateSupplierPriceInput,
    VendorBillIdInput,
)
from subgraphs.purchases.graphql.queries import PurchaseSuggestion
from subgraphs.purchases.graphql.types import (
    APPROVE,
    WRITE,
    BillPayment,
    LandedCost,
    Product,
    PurchaseOrder,
    PurchasePolicy,
    Receipt,
    Supplier,
    SupplierPrice,
    VendorBill,
)

ORDER_ID = {"orderId": "id"}
"""The order services' `order_id` is the input's `id`."""
TERMS = {
    name: f"terms.{name}"
    for name in ("price", "currency", "minQuantity", "orderMultiple", "leadTimeDays", "validTo")
}
"""A price tier's terms sit in the input's `terms`."""


@strawberry.type
class SupplierPayload:
    supplier: Supplier | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Supplier | None, errors: list[UserError]) -> SupplierPayload:
        return cls(supplier=Supplier.from_model(row) if row else None, errors=errors)


@strawberry.type
class SupplierPricePayload:
    price: SupplierPrice | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.SupplierPrice | None, errors: list[UserError]) -> SupplierPricePayload:
        return cls(price=SupplierPrice.from_model(row) if row else None, errors=errors)


@strawberry.type
class RemoveSupplierPricePayload:
    removed_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PreferredSupplierPayload:
    product: Product | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PurchasePolicyPayload:
    policy: PurchasePolicy | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PurchaseOrderPayload:
    order: PurchaseOrder | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.PurchaseOrder | None, errors: list[UserError]) -> PurchaseOrderPayload:
        return cls(order=PurchaseOrder.from_model(row) if row else None, errors=errors)


@strawberry.type
class ReceivePurchaseOrderPayload:
    order: PurchaseOrder | None = None
    receipt: Receipt | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LandedCostPayload:
    landed_cost: LandedCost | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class VendorBillPayload:
    bill: VendorBill | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.VendorBill | None, errors: list[UserError]) -> VendorBillPayload:
        return cls(bill=VendorBill.from_model(row) if row else None, errors=errors)


@strawberry.type
class PayVendorBillPayload:
    payment: BillPayment | None = None
    bill: VendorBill | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PurchaseOrdersFromSuggestionsPayload:
    orders: list[PurchaseOrder] = strawberry.field(default_factory=list)
    skipped: list[PurchaseSuggestion] = strawberry.field(
        default_factory=list, description="Needs no supplier could be found for."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    # --- suppliers and prices -------------------------------------------------------

    @strawberry.mutation
    async def create_supplier(
        self, info: Info[Any, Any], input: CreateSupplierInput
    ) -> SupplierPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: suppliers.create_supplier(s, p.tenant_id, input.to_fields()),
        )
        return SupplierPayload.of(row, errors)

    @strawberry.mutation
    async def update_supplier(
        self, info: Info[Any, Any], input: UpdateSupplierInput
    ) -> SupplierPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: suppliers.update_supplier(
                s, p.tenant_id, supplier_id=parse_id(input.id), fields=input.to_fields()
            ),
            rename={"supplierId": "id"},
        )
        return SupplierPayload.of(row, errors)

    @strawberry.mutation(description="Archived suppliers take no new orders.")
    async def archive_supplier(
        self, info: Info[Any, Any], input: SupplierIdInput
    ) -> SupplierPayload:
        return await _archive(info, input, archived=True)

    @strawberry.mutation
    async def restore_supplier(
        self, info: Info[Any, Any], input: SupplierIdInput
    ) -> SupplierPayload:
        return await _archive(info, input, archived=False)

    @strawberry.mutation
    async def add_supplier_price(
        self, info: Info[Any, Any], input: AddSupplierPriceInput
    ) -> SupplierPricePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: prices.add_supplier_price(
                s,
                p.tenant_id,
                supplier_id=parse_id(input.supplier_id),
                product_id=parse_id(input.product_id),
                fields=input.terms.to_fields(),
            ),
            rename=TERMS,
        )
        return SupplierPricePayload.of(row, errors)

    @strawberry.mutation
    async def update_supplier_price(
        self, info: Info[Any, Any], input: UpdateSupplierPriceInput
    ) -> SupplierPricePayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: prices.update_supplier_price(
                s, p.tenant_id, price_id=parse_id(input.id), fields=input.terms.to_fields()
            ),
            rename={"priceId": "id", **TERMS},
        )
        return SupplierPricePayload.of(row, errors)

    @strawberry.mutation
    async def remove_supplier_price(
        self, info: Info[Any, Any], input: SupplierPriceIdInput
    ) -> RemoveSupplierPricePayload:
        removed, errors = await perform(
            info,
            WRITE,
            lambda s, p: prices.remove_supplier_price(s, p.tenant_id, price_id=parse_id(input.id)),
            rename={"priceId": "id"},
        )
        return RemoveSupplierPricePayload(
            removed_id=to_id(removed) if removed else None, errors=errors
        )

    @strawberry.mutation(description="The supplier replenishment orders the product from.")
    async def set_preferred_supplier(
        self, info: Info[Any, Any], input: SetPreferredSupplierInput
    ) -> PreferredSupplierPayload:
        product, errors = await perform(
            info,
            WRITE,
            lambda s, p: prices.set_preferred_supplier(
                s,
                p.tenant_id,
                product_id=parse_id(input.product_id),
                supplier_id=parse_opt_id(input.supplier_id),
            ),
        )
        return PreferredSupplierPayload(
            product=Product(id=to_id(product)) if product else None, errors=errors
        )

    @strawberry.mutation(description="Needs purchases:approve.")
    async def set_purchase_policy(
        self, info: Info[Any, Any], input: SetPurchasePolicyInput
    ) -> PurchasePolicyPayload:
        found, errors = await perform(
            info,
            APPROVE,
            lambda s, p: policy.set_policy(
                s,
                p.tenant_id,
                approval_threshold=input.approval_threshold,
                receipt_tolerance_percent=input.receipt_tolerance_percent,
                match_tolerance_percent=input.match_tolerance_percent,
            ),
        )
        return PurchasePolicyPayload(
            policy=PurchasePolicy.of(found) if found else None, errors=errors
        )

    # --- purchase orders ------------------------------------------------------------

    @strawberry.mutation(description="A request for quotation. Honours the Idempotency-Key.")
    async def create_purchase_order(
        self, info: Info[Any, Any], input: CreatePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "createPurchaseOrder",
            input,
            lambda s, p: orders.create_purchase_order(
                s,
                p.tenant_id,
                supplier_id=parse_id(input.supplier_id),
                lines=[ln.to_line() for ln in input.lines],
                currency=input.currency,
                order_date=input.order_date,
                expected_date=input.expected_date,
                warehouse_id=parse_opt_id(input.warehouse_id),
                notes=input.notes,
                actor=p.user_id,
            ),
            reads.get_order,
        )
        return PurchaseOrderPayload.of(row, errors)

    @strawberry.mutation
    async def update_purchase_order(
        self, info: Info[Any, Any], input: UpdatePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        row, errors = await perform(
            info,
            WRITE,
            lambda s, p: orders.update_purchase_order(
                s,
                p.tenant_id,
                order_id=parse_id(input.id),
                lines=None if input.lines is None else [ln.to_line() for ln in input.lines],
                expected_date=input.expected_date,
                notes=input.notes,
            ),
            rename=ORDER_ID,
        )
        return PurchaseOrderPayload.of(row, errors)

    @strawberry.mutation(description="The request for quotation went to the supplier.")
    async def send_purchase_order(
        self, info: Info[Any, Any], input: PurchaseOrderIdInput
    ) -> PurchaseOrderPayload:
        return await _order_step(info, input, WRITE, orders.send_purchase_order)

    @strawberry.mutation(description="Needs purchases:approve.")
    async def approve_purchase_order(
        self, info: Info[Any, Any], input: PurchaseOrderIdInput
    ) -> PurchaseOrderPayload:
        row, errors = await perform(
            info,
            APPROVE,
            lambda s, p: approval.approve_purchase_order(
                s, p.tenant_id, order_id=parse_id(input.id), actor=p.user_id
            ),
            rename=ORDER_ID,
        )
        return PurchaseOrderPayload.of(row, errors)

    @strawberry.mutation(description="Needs purchases:approve.")
    async def reject_purchase_order(
        self, info: Info[Any, Any], input: RejectPurchaseOrderInput
    ) -> PurchaseOrderPayload:
        row, errors = await perform(
            info,
            APPROVE,
            lambda s, p: approval.reject_purchase_order(
                s, p.tenant_id, order_id=parse_id(input.id), reason=input.reason, actor=p.user_id
            ),
            rename=ORDER_ID,
        )
        return PurchaseOrderPayload.of(row, errors)

    @strawberry.mutation(
        description="Fixes the exchange rate; above the approval threshold the order must be "
        "approved, or the caller hold purchases:approve. Honours the Idempotency-Key."
    )
    async def confirm_purchase_order(
        self, info: Info[Any, Any], input: ConfirmPurchaseOrderInput
    ) -> PurchaseOrderPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "confirmPurchaseOrder",
            input,
            lambda s, p: approval.confirm_purchase_order(
                s,
                p.tenant_id,
                order_id=parse_id(input.id),
                exchange_rate=input.exchange_rate,
                by=approval.Approver(p.user_id, p.can(APPROVE)),
            ),
            reads.get_order,
            rename=ORDER_ID,
        )
        return PurchaseOrderPayload.of(row, errors)

    @strawberry.mutation(description="Only before anything is received or billed.")
    async def cancel_purchase_order(
        self, info: Info[Any, Any], input: PurchaseOrderIdInput
    ) -> PurchaseOrderPayload:
        return await _order_step(info, input, WRITE, orders.cancel_purchase_order)

    @strawberry.mutation(
        description="Posts done stock moves at the order's unit cost in base currency. "
        "Honours the Idempotency-Key."
    )
    async def receive_purchase_order(
        self, info: Info[Any, Any], input: ReceivePurchaseOrderInput
    ) -> ReceivePurchaseOrderPayload:
        result, errors = await perform_idempotent(
            info,
            WRITE,
            "receivePurchaseOrder",
            input,
            lambda s, p: receipts.receive_purchase_order(
                s,
                p.tenant_id,
                order_id=parse_id(input.id),
                lines=None if input.lines is None else [ln.to_line() for ln in input.lines],
                received_on=input.received_on,
                actor=p.user_id,
            ),
            receipts.receipt_result,
            rename=ORDER_ID,
        )
        if result is None:
            return ReceivePurchaseOrderPayload(errors=errors)
        return ReceivePurchaseOrderPayload(
            order=PurchaseOrder.from_model(result.order),
            receipt=Receipt.from_model(result.receipt),
            errors=errors,
        )

    @strawberry.mutation(
        description="Requests for quotation for what stock's suggestions still need once open "
        "orders arrive, one per supplier and warehouse; a second run creates none."
    )
    async def create_purchase_orders_from_suggestions(
        self, info: Info[Any, Any], input: CreatePurchaseOrdersFromSuggestionsInput
    ) -> PurchaseOrdersFromSuggestionsPayload:
        result, errors = await perform(
            info,
            WRITE,
            lambda s, p: replenishment.create_orders_from_suggestions(
                s, p.tenant_id, warehouse_id=parse_opt_id(input.warehouse_id), actor=p.user_id
            ),
        )
        if result is None:
            return PurchaseOrdersFromSuggestionsPayload(errors=errors)
        return PurchaseOrdersFromSuggestionsPayload(
            orders=[PurchaseOrder.from_model(o) for o in result.orders],
            skipped=[PurchaseSuggestion.of(x) for x in result.skipped],
        )

    @strawberry.mutation(description="Cancels what a partly received order still expects.")
    async def close_purchase_order(
        self, info: Info[Any, Any], input: PurchaseOrderIdInput
    ) -> PurchaseOrderPayload:
        return await _order_step(info, input, WRITE, receipts.close_purchase_order)

    @strawberry.mutation(
        description="Allocates freight, duty, insurance... over a receipt's (or an order's "
        "receipts') stockable lines by VALUE or QUANTITY, exact to the cent with the "
        "remainder on the last line, and puts each share into the product's cost."
    )
    async def add_landed_costs(
        self, info: Info[Any, Any], input: AddLandedCostsInput
    ) -> LandedCostPayload:
        result, errors = await perform(
            info,
            WRITE,
            lambda s, p: landed_costs.add_landed_costs(
                s,
                p.tenant_id,
                receipt_id=parse_opt_id(input.receipt_id),
                order_id=parse_opt_id(input.purchase_order_id),
                costs=[c.to_cost() for c in input.costs],
                allocation=input.allocation,
                actor=p.user_id,
            ),
        )
        if result is None:
            return LandedCostPayload(errors=errors)
        return LandedCostPayload(
            landed_cost=LandedCost.from_models(result.landed_cost, result.lines), errors=errors
        )

    # --- vendor bills ---------------------------------------------------------------

    @strawberry.mutation(
        description="Three-way matched: beyond tolerance the bill is HELD with its reasons. "
        "Honours the Idempotency-Key."
    )
    async def create_vendor_bill(
        self, info: Info[Any, Any], input: CreateVendorBillInput
    ) -> VendorBillPayload:
        row, errors = await perform_idempotent(
            info,
            WRITE,
            "createVendorBill",
            input,
            lambda s, p: bills.create_vendor_bill(
                s,
                p.tenant_id,
                order_id=parse_id(input.order_id),
                supplier_reference=input.supplier_reference,
                bill_date=input.bill_date,
                lines=None if input.lines is None else [ln.to_line() for ln in input.lines],
                actor=p.user_id,
            ),
            reads.get_bill,
        )
        return VendorBillPayload.of(row, errors)

    @strawberry.mutation(description="Posts a held bill as it is. Needs purchases:approve.")
    async def release_vendor_bill(
        self, info: Info[Any, Any], input: VendorBillIdInput
    ) -> VendorBillPayload:
        row, errors = await perform(
            info,
            APPROVE,
            lambda s, p: bills.release_vendor_bill(
                s, p.tenant_id, bill_id=parse_id(input.id), actor=p.user_id
            ),
            rename={"billId": "id"},
        )
        return VendorBillPayload.of(row, errors)

    @strawberry.mutation(description="Honours the Idempotency-Key.")
    async def pay_vendor_bill(
        self, info: Info[Any, Any], input: PayVendorBillInput
    ) -> PayVendorBillPayload:
        result, errors = await perform_idempotent(
            info,
            WRITE,
            "payVendorBill",
            input,
            lambda s, p: bills.pay_vendor_bill(
                s,
                p.tenant_id,
                bill_id=parse_id(input.bill_id),
                amount=input.amount,
                date=input.date,
                actor=p.user_id,
            ),
            bills.payment_result,
        )
        if result is None:
            return PayVendorBillPayload(errors=errors)
        return PayVendorBillPayload(
            payment=BillPayment.from_model(result.payment, result.bill.currency),
            bill=VendorBill.from_model(result.bill),
            errors=errors,
        )


async def _archive(
    info: Info[Any, Any], input: SupplierIdInput, *, archived: bool
) -> SupplierPayload:
    row, errors = await perform(
        info,
        WRITE,
        lambda s, p: suppliers.set_archived(
            s, p.tenant_id, supplier_id=parse_id(input.id), archived=archived
        ),
        rename={"supplierId": "id"},
    )
    return SupplierPayload.of(row, errors)


async def _order_step(
    info: Info[Any, Any], input: PurchaseOrderIdInput, permission: str, step: Any
) -> PurchaseOrderPayload:
    """A state change that takes only the order's id."""

    async def run(s: Any, p: Any) -> models.PurchaseOrder:
        found: models.PurchaseOrder = await step(s, p.tenant_id, order_id=parse_id(input.id))
        return found

    row, errors = await perform(info, permission, run, rename=ORDER_ID)
    return PurchaseOrderPayload.of(row, errors)
