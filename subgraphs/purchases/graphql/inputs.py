"""Purchases' input types and their conversion to what the rules and reads take."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.purchases import (
    bills,
    landed_costs,
    orders,
    prices,
    reads,
    receipts,
    suppliers,
)
from subgraphs.purchases.graphql.types import (
    LandedCostAllocation,
    LandedCostKind,
    PurchaseOrderOrderField,
    PurchaseOrderStatus,
    SupplierOrderField,
    VendorBillStatus,
)

# --- suppliers ----------------------------------------------------------------------


@strawberry.input
class SupplierFilter:
    search: str | None = strawberry.field(default=None, description="Name, email or tax id.")
    archived: bool | None = strawberry.field(
        default=False, description="Default: active suppliers only; null: all."
    )

    def to_filter(self) -> reads.SupplierFilter:
        return reads.SupplierFilter(search=self.search, archived=self.archived)


@strawberry.input
class SupplierOrder:
    field: SupplierOrderField = reads.SupplierSort.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CreateSupplierInput:
    name: str
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    currency: str | None = strawberry.field(default=None, description="Default: base currency.")
    payment_terms_days: int = 30
    lead_time_days: int = 7
    rating: int | None = strawberry.field(default=None, description="1 to 5.")

    def to_fields(self) -> suppliers.SupplierFields:
        return suppliers.SupplierFields(
            name=self.name,
            tax_id=self.tax_id,
            email=self.email,
            phone=self.phone,
            address=self.address,
            currency=self.currency,
            payment_terms_days=self.payment_terms_days,
            lead_time_days=self.lead_time_days,
            rating=self.rating,
        )


@strawberry.input(description="Fields left out keep their value.")
class UpdateSupplierInput:
    id: strawberry.ID
    name: str | None = None
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    currency: str | None = None
    payment_terms_days: int | None = None
    lead_time_days: int | None = None
    rating: int | None = None

    def to_fields(self) -> suppliers.SupplierFields:
        return suppliers.SupplierFields(
            name=self.name,
            tax_id=self.tax_id,
            email=self.email,
            phone=self.phone,
            address=self.address,
            currency=self.currency,
            payment_terms_days=self.payment_terms_days,
            lead_time_days=self.lead_time_days,
            rating=self.rating,
        )


@strawberry.input
class SupplierIdInput:
    id: strawberry.ID


@strawberry.input
class PriceTermsInput:
    price: Decimal
    currency: str | None = strawberry.field(default=None, description="Default: the supplier's.")
    min_quantity: Decimal = Decimal(0)
    order_multiple: Decimal | None = None
    lead_time_days: int | None = strawberry.field(
        default=None, description="Default: the supplier's lead time."
    )
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def to_fields(self) -> prices.PriceFields:
        return prices.PriceFields(
            price=self.price,
            currency=self.currency,
            min_quantity=self.min_quantity,
            order_multiple=self.order_multiple,
            lead_time_days=self.lead_time_days,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


@strawberry.input
class AddSupplierPriceInput:
    supplier_id: strawberry.ID
    product_id: strawberry.ID
    terms: PriceTermsInput


@strawberry.input(description="Replaces every term of the tier.")
class UpdateSupplierPriceInput:
    id: strawberry.ID
    terms: PriceTermsInput


@strawberry.input
class SupplierPriceIdInput:
    id: strawberry.ID


@strawberry.input
class SetPreferredSupplierInput:
    product_id: strawberry.ID
    supplier_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null clears the preference."
    )


@strawberry.input
class SetPurchasePolicyInput:
    approval_threshold: Decimal | None = strawberry.field(
        default=None, description="Untaxed, base currency; null: no order needs approval."
    )
    receipt_tolerance_percent: Decimal = Decimal(0)
    match_tolerance_percent: Decimal = Decimal(0)


# --- purchase orders ----------------------------------------------------------------


@strawberry.input
class PurchaseOrderFilter:
    supplier_id: strawberry.ID | None = None
    status: list[PurchaseOrderStatus] | None = None
    from_: dt.date | None = strawberry.field(default=None, name="from")
    to: dt.date | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the number, the notes or the supplier's name."
    )

    def to_filter(self) -> reads.OrderFilter:
        return reads.OrderFilter(
            supplier_id=parse_opt_id(self.supplier_id),
            statuses=tuple(self.status or ()),
            date_from=self.from_,
            date_to=self.to,
            search=self.search,
        )


@strawberry.input
class PurchaseOrderOrder:
    field: PurchaseOrderOrderField = reads.OrderSort.ORDER_DATE
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class PurchaseOrderLineInput:
    product_id: strawberry.ID
    quantity: Decimal = strawberry.field(
        description="Rounded up to the supplier's minimum and order multiple."
    )
    unit_cost: Decimal | None = strawberry.field(
        default=None, description="Default: the supplier's best valid price."
    )
    tax_percent: Decimal = Decimal(0)
    description: str | None = None

    def to_line(self) -> orders.LineInput:
        return orders.LineInput(
            product_id=parse_id(self.product_id),
            quantity=self.quantity,
            unit_cost=self.unit_cost,
            tax_percent=self.tax_percent,
            description=self.description,
        )


@strawberry.input
class CreatePurchaseOrderInput:
    supplier_id: strawberry.ID
    lines: list[PurchaseOrderLineInput]
    currency: str | None = strawberry.field(default=None, description="Default: the supplier's.")
    order_date: dt.date | None = None
    expected_date: dt.date | None = strawberry.field(
        default=None, description="Default: the order date plus the longest lead time."
    )
    warehouse_id: strawberry.ID | None = None
    notes: str = ""


@strawberry.input(description="Lines, when given, replace the order's lines.")
class UpdatePurchaseOrderInput:
    id: strawberry.ID
    lines: list[PurchaseOrderLineInput] | None = None
    expected_date: dt.date | None = None
    notes: str | None = None


@strawberry.input
class PurchaseOrderIdInput:
    id: strawberry.ID


@strawberry.input
class RejectPurchaseOrderInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class ConfirmPurchaseOrderInput:
    id: strawberry.ID
    exchange_rate: Decimal | None = strawberry.field(
        default=None,
        description="One unit of the order's currency in base currency; required when they differ.",
    )


@strawberry.input
class ReceiptLineInput:
    line_id: strawberry.ID
    quantity: Decimal

    def to_line(self) -> receipts.ReceiptLineInput:
        return receipts.ReceiptLineInput(line_id=parse_id(self.line_id), quantity=self.quantity)


@strawberry.input
class ReceivePurchaseOrderInput:
    id: strawberry.ID
    lines: list[ReceiptLineInput] | None = strawberry.field(
        default=None, description="Default: everything still open."
    )
    received_on: dt.date | None = None


@strawberry.input
class LandedCostInput:
    kind: LandedCostKind
    amount: Decimal
    currency: str | None = strawberry.field(
        default=None, description="The order's currency (default) or the base currency."
    )

    def to_cost(self) -> landed_costs.CostInput:
        return landed_costs.CostInput(self.kind, self.amount, self.currency)


@strawberry.input(
    description="Give a receipt, or a purchase order for all its receipts. No WEIGHT "
    "allocation: products carry no weight."
)
class AddLandedCostsInput:
    receipt_id: strawberry.ID | None = None
    purchase_order_id: strawberry.ID | None = None
    costs: list[LandedCostInput]
    allocation: LandedCostAllocation


# --- vendor bills -------------------------------------------------------------------


@strawberry.input
class VendorBillFilter:
    supplier_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    status: list[VendorBillStatus] | None = None
    due_before: dt.date | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the number or the supplier's reference."
    )

    def to_filter(self) -> reads.BillFilter:
        return reads.BillFilter(
            supplier_id=parse_opt_id(self.supplier_id),
            order_id=parse_opt_id(self.order_id),
            statuses=tuple(self.status or ()),
            due_before=self.due_before,
            search=self.search,
        )


@strawberry.input
class VendorBillLineInput:
    line_id: strawberry.ID = strawberry.field(description="The purchase order line billed.")
    quantity: Decimal
    unit_cost: Decimal | None = strawberry.field(default=None, description="Default: ordered.")
    tax_percent: Decimal | None = None

    def to_line(self) -> bills.BillLineInput:
        return bills.BillLineInput(
            line_id=parse_id(self.line_id),
            quantity=self.quantity,
            unit_cost=self.unit_cost,
            tax_percent=self.tax_percent,
        )


@strawberry.input
class CreateVendorBillInput:
    order_id: strawberry.ID
    supplier_reference: str = strawberry.field(description="The supplier's invoice number.")
    bill_date: dt.date | None = None
    lines: list[VendorBillLineInput] | None = strawberry.field(
        default=None, description="Default: everything received and not billed, as ordered."
    )


@strawberry.input
class VendorBillIdInput:
    id: strawberry.ID


@strawberry.input
class PayVendorBillInput:
    bill_id: strawberry.ID
    amount: Decimal
    date: dt.date | None = None


def direction_is_descending(direction: SortDirection) -> bool:
    return direction == SortDirection.DESC


@strawberry.input
class CreatePurchaseOrdersFromSuggestionsInput:
    warehouse_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: every warehouse."
    )
