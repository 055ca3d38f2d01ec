"""Purchases' object and entity types and enums.

Purchases owns `Supplier`, `PurchaseOrder` and `VendorBill`, and extends stock's
`Product` with its suppliers, last purchase cost and incoming quantity. Lines name their
product by reference; stock resolves its fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import Loader, context, load_many, load_required, reference
from shared.graphql.types import Money
from subgraphs.purchases import models, policy, reads
from subgraphs.purchases.graphql import loaders
from subgraphs.purchases.orders import CENT

QUANTUM = Decimal("0.0001")
RATE = Decimal("0.00000001")

READ, WRITE, APPROVE = "purchases:read", "purchases:write", "purchases:approve"

# The GraphQL enums are the StrEnums of models and reads under their GraphQL names;
# inputs import them from here, so they are named before any type uses them.
PurchaseOrderStatus = models.OrderState
PurchaseBillingStatus = models.BillingStatus
PurchaseApprovalStatus = models.ApprovalStatus
VendorBillStatus = models.BillStatus
SupplierOrderField = reads.SupplierSort
LandedCostKind = models.LandedCostKind
LandedCostAllocation = models.LandedCostAllocation
PurchaseOrderOrderField = reads.OrderSort
for _enum, _name in (
    (PurchaseOrderStatus, "PurchaseOrderStatus"),
    (PurchaseBillingStatus, "PurchaseBillingStatus"),
    (PurchaseApprovalStatus, "PurchaseApprovalStatus"),
    (VendorBillStatus, "VendorBillStatus"),
    (SupplierOrderField, "SupplierOrderField"),
    (LandedCostKind, "LandedCostKind"),
    (LandedCostAllocation, "LandedCostAllocation"),
    (PurchaseOrderOrderField, "PurchaseOrderOrderField"),
):
    strawberry.enum(_enum, name=_name)


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount.quantize(CENT), currency=currency)


def q4(value: Decimal) -> Decimal:
    """A quantity, unit cost or percentage as numeric(18,4) holds it, whether just written
    or read back."""
    return value.quantize(QUANTUM)


def opt_q4(value: Decimal | None) -> Decimal | None:
    return None if value is None else q4(value)


def quantities(row: Any, **attributes: str) -> dict[str, Any]:
    """`field=attribute` pairs of the row's quantities, costs and percentages, as stored."""
    return {name: q4(getattr(row, attribute)) for name, attribute in attributes.items()}


def amounts(row: Any, currency: str, *names: str) -> dict[str, Any]:
    """The row's amounts of these names as money in `currency`."""
    return {name: money(getattr(row, name), currency) for name in names}


async def guarded(info: Info[Any, Any], loader: Loader[Any], key: Any) -> Any:
    """Purchases figures on an entity another subgraph owns: `purchases:read` first, then
    the request's loader (the entity itself may be readable without it)."""
    ctx = context(info)
    ctx.require(READ)
    return await loader(ctx).load(key)


def same(row: Any, *names: str) -> dict[str, Any]:
    """The row's attributes that a type shows unchanged, by name."""
    return {name: getattr(row, name) for name in names}


def _user(user_id: uuid.UUID | None) -> User | None:
    return None if user_id is None else User(id=to_id(user_id))


# --- references to other subgraphs' entities ----------------------------------------


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class User:
    """A reference to identity's user; identity resolves its fields."""

    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])  # type: ignore[arg-type]
class Warehouse:
    """A reference to stock's warehouse; stock resolves its fields."""

    id: strawberry.ID


@strawberry.type(description="One supplier of a product, with its price tiers.")
class ProductSupplier:
    preferred: bool
    supplier_id: strawberry.Private[uuid.UUID]
    rows: strawberry.Private[list[models.SupplierPrice]]

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Supplier:
        return await load_required(info, loaders.suppliers, self.supplier_id, Supplier.from_model)

    @strawberry.field(description="By minimum quantity.")
    def prices(self) -> list[SupplierPrice]:
        return [SupplierPrice.from_model(p) for p in self.rows]


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID

    @strawberry.field(description="The preferred supplier first, then by cheapest price.")
    async def suppliers(self, info: Info[Any, Any]) -> list[ProductSupplier]:
        found: list[reads.ProductSupplier] = await guarded(
            info, loaders.product_suppliers, parse_id(self.id)
        )
        return [
            ProductSupplier(preferred=s.preferred, supplier_id=s.supplier_id, rows=s.prices)
            for s in found
        ]

    @strawberry.field(description="The unit cost of the latest receipt, in base currency.")
    async def last_purchase_cost(self, info: Info[Any, Any]) -> Money | None:
        found: reads.LastCost | None = await guarded(
            info, loaders.last_purchase_costs, parse_id(self.id)
        )
        return None if found is None else Money(amount=q4(found.unit_cost), currency=found.currency)

    @strawberry.field(
        description="Ordered on open purchase orders (RFQ to partly received), not yet received."
    )
    async def incoming_quantity(self, info: Info[Any, Any]) -> Decimal:
        found: Decimal = await guarded(info, loaders.incoming_quantities, parse_id(self.id))
        return q4(found)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Product:
        return cls(id=id)


# --- suppliers ----------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], description="A company the tenant buys from.")
class Supplier:
    id: strawberry.ID
    name: str
    tax_id: str | None
    email: str | None
    phone: str | None
    address: str
    currency: str
    payment_terms_days: int
    lead_time_days: int
    rating: int | None
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, s: models.Supplier) -> Supplier:
        return cls(
            id=to_id(s.id),
            **same(s, "name", "tax_id", "email", "phone", "address", "currency"),
            **same(s, "payment_terms_days", "lead_time_days", "rating", "archived"),
            **same(s, "created_at", "updated_at"),
        )

    @strawberry.field(description="Every price tier, by product and minimum quantity.")
    async def prices(self, info: Info[Any, Any]) -> list[SupplierPrice]:
        return await load_many(
            info, loaders.prices_by_supplier, parse_id(self.id), SupplierPrice.from_model
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Supplier | None:
        return await reference(info, READ, loaders.suppliers, id, cls.from_model)


@strawberry.type(description="A supplier's price for a product from a minimum quantity up.")
class SupplierPrice:
    id: strawberry.ID
    price: Money
    min_quantity: Decimal
    order_multiple: Decimal | None
    lead_time_days: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    supplier_id: strawberry.Private[uuid.UUID]
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, p: models.SupplierPrice) -> SupplierPrice:
        return cls(
            id=to_id(p.id),
            price=Money(amount=q4(p.price), currency=p.currency),
            min_quantity=q4(p.min_quantity),
            order_multiple=opt_q4(p.order_multiple),
            lead_time_days=p.lead_time_days,
            valid_from=p.valid_from,
            valid_to=p.valid_to,
            supplier_id=p.supplier_id,
            product_id=p.product_id,
        )

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Supplier:
        return await load_required(info, loaders.suppliers, self.supplier_id, Supplier.from_model)

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type(description="The tenant's purchasing rules.")
class PurchasePolicy:
    approval_threshold: Money | None = strawberry.field(
        description="Orders above this untaxed amount need approval; null: none do."
    )
    receipt_tolerance_percent: Decimal
    match_tolerance_percent: Decimal
    base_currency: str

    @classmethod
    def of(cls, p: policy.Policy) -> PurchasePolicy:
        threshold = p.approval_threshold
        return cls(
            approval_threshold=None if threshold is None else money(threshold, p.base_currency),
            receipt_tolerance_percent=q4(p.receipt_tolerance_percent),
            match_tolerance_percent=q4(p.match_tolerance_percent),
            base_currency=p.base_currency,
        )


# --- purchase orders ----------------------------------------------------------------


@strawberry.type
class PurchaseOrderLine:
    id: strawberry.ID
    position: int
    description: str
    quantity: Decimal
    unit_cost: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    received_quantity: Decimal
    billed_quantity: Decimal
    cancelled_quantity: Decimal = strawberry.field(description="Closed with the order.")
    open_quantity: Decimal = strawberry.field(description="Still to come.")
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, ln: models.PurchaseOrderLine, currency: str) -> PurchaseOrderLine:
        return cls(
            id=to_id(ln.id),
            position=ln.position,
            description=ln.description,
            **quantities(ln, quantity="quantity", unit_cost="unit_cost", tax_percent="tax_percent"),
            **quantities(ln, received_quantity="received_qty", billed_quantity="billed_qty"),
            **quantities(ln, cancelled_quantity="cancelled_qty", open_quantity="open_qty"),
            **amounts(ln, currency, "untaxed", "tax", "total"),
            product_id=ln.product_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type(description="A receipt line's unit cost is in base currency.")
class ReceiptLine:
    id: strawberry.ID
    order_line_id: strawberry.ID
    quantity: Decimal
    unit_cost: Decimal = strawberry.field(description="In base currency, as stock valued it.")
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, ln: models.ReceiptLine) -> ReceiptLine:
        return cls(
            id=to_id(ln.id),
            order_line_id=to_id(ln.order_line_id),
            quantity=q4(ln.quantity),
            unit_cost=q4(ln.unit_cost),
            product_id=ln.product_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type(description="Goods received against a purchase order.")
class Receipt:
    id: strawberry.ID
    number: str
    received_on: dt.date
    created_at: dt.datetime
    received_by: User | None

    @classmethod
    def from_model(cls, r: models.Receipt) -> Receipt:
        return cls(
            id=to_id(r.id),
            number=r.number,
            received_on=r.received_on,
            created_at=r.created_at,
            received_by=_user(r.received_by),
        )

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[ReceiptLine]:
        return await load_many(
            info, loaders.lines_by_receipt, parse_id(self.id), ReceiptLine.from_model
        )


@strawberry.type(description="One charge of a landed cost, as given and in base currency.")
class LandedCostCharge:
    kind: LandedCostKind
    amount: Decimal
    currency: str
    base_amount: Decimal


@strawberry.type(description="A received line's share of a landed cost, in base currency.")
class LandedCostLine:
    position: int
    receipt_line_id: strawberry.ID
    amount: Decimal
    product_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type(
    description="Freight, duty, insurance... allocated over received goods and put into "
    "their cost; the line amounts add up to the total exactly."
)
class LandedCost:
    id: strawberry.ID
    receipt_id: strawberry.ID | None
    order_id: strawberry.ID
    allocation: LandedCostAllocation
    total: Decimal = strawberry.field(description="In base currency.")
    costs: list[LandedCostCharge]
    lines: list[LandedCostLine]

    @classmethod
    def from_models(
        cls, doc: models.LandedCost, lines: Sequence[models.LandedCostLine]
    ) -> LandedCost:
        return cls(
            id=to_id(doc.id),
            receipt_id=to_id(doc.receipt_id) if doc.receipt_id else None,
            order_id=to_id(doc.order_id),
            allocation=LandedCostAllocation(doc.allocation),
            total=doc.total.quantize(CENT),
            costs=[
                LandedCostCharge(
                    kind=LandedCostKind(c["kind"]),
                    amount=Decimal(c["amount"]).quantize(CENT),
                    currency=c["currency"],
                    base_amount=Decimal(c["baseAmount"]).quantize(CENT),
                )
                for c in doc.costs
            ],
            lines=[
                LandedCostLine(
                    position=ln.position,
                    receipt_line_id=to_id(ln.receipt_line_id),
                    amount=ln.amount.quantize(CENT),
                    product_id=ln.product_id,
                )
                for ln in lines
            ],
        )


@strawberry.federation.type(keys=["id"], description="A request for quotation or an order.")
class PurchaseOrder:
    id: strawberry.ID
    number: str
    status: PurchaseOrderStatus
    billing_status: PurchaseBillingStatus
    approval_status: PurchaseApprovalStatus
    currency: str
    exchange_rate: Decimal | None = strawberry.field(
        description="One unit of the currency in base currency, fixed at confirmation."
    )
    order_date: dt.date
    expected_date: dt.date | None
    untaxed: Money
    tax: Money
    total: Money
    notes: str
    approved_by: User | None
    approved_at: dt.datetime | None
    rejected_by: User | None
    rejected_at: dt.datetime | None
    rejection_reason: str | None
    created_by: User | None
    confirmed_by: User | None
    sent_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    received_at: dt.datetime | None
    closed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    warehouse: Warehouse
    supplier_id: strawberry.Private[uuid.UUID]
    untaxed_value: strawberry.Private[Decimal]

    @classmethod
    def from_model(cls, o: models.PurchaseOrder) -> PurchaseOrder:
        return cls(
            id=to_id(o.id),
            number=o.number,
            status=models.OrderState(o.status),
            billing_status=models.BillingStatus(o.billing_status),
            approval_status=models.ApprovalStatus(o.approval_status),
            currency=o.currency,
            exchange_rate=None if o.exchange_rate is None else o.exchange_rate.quantize(RATE),
            **same(o, "order_date", "expected_date", "notes", "rejection_reason"),
            **amounts(o, o.currency, "untaxed", "tax", "total"),
            approved_by=_user(o.approved_by),
            rejected_by=_user(o.rejected_by),
            created_by=_user(o.created_by),
            confirmed_by=_user(o.confirmed_by),
            **same(o, "approved_at", "rejected_at", "sent_at", "confirmed_at", "received_at"),
            **same(o, "closed_at", "cancelled_at", "created_at", "updated_at"),
            warehouse=Warehouse(id=to_id(o.warehouse_id)),
            supplier_id=o.supplier_id,
            untaxed_value=o.untaxed,
        )

    @strawberry.field(description="Untaxed, in base currency; null until confirmed.")
    async def untaxed_in_base_currency(self, info: Info[Any, Any]) -> Money | None:
        if self.exchange_rate is None:
            return None
        base: str = await loaders.base_currencies(context(info)).load(reads.BASE)
        return money(self.untaxed_value * self.exchange_rate, base)

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Supplier:
        return await load_required(info, loaders.suppliers, self.supplier_id, Supplier.from_model)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[PurchaseOrderLine]:
        return await load_many(
            info,
            loaders.lines_by_order,
            parse_id(self.id),
            lambda ln: PurchaseOrderLine.from_model(ln, self.currency),
        )

    @strawberry.field
    async def receipts(self, info: Info[Any, Any]) -> list[Receipt]:
        return await load_many(
            info, loaders.receipts_by_order, parse_id(self.id), Receipt.from_model
        )

    @strawberry.field
    async def bills(self, info: Info[Any, Any]) -> list[VendorBill]:
        return await load_many(
            info, loaders.bills_by_order, parse_id(self.id), VendorBill.from_model
        )

    @classmethod
    async def resolve_reference(
        cls, info: Info[Any, Any], id: strawberry.ID
    ) -> PurchaseOrder | None:
        return await reference(info, READ, loaders.orders, id, cls.from_model)


# --- vendor bills -------------------------------------------------------------------


@strawberry.type
class VendorBillLine:
    id: strawberry.ID
    position: int
    order_line_id: strawberry.ID
    quantity: Decimal
    unit_cost: Decimal
    tax_percent: Decimal
    untaxed: Money
    tax: Money
    total: Money
    ordered_quantity: Decimal
    received_quantity: Decimal = strawberry.field(description="When the bill was recorded.")
    ordered_unit_cost: Decimal
    hold_reason: str | None
    product_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, ln: models.VendorBillLine, currency: str) -> VendorBillLine:
        return cls(
            id=to_id(ln.id),
            position=ln.position,
            order_line_id=to_id(ln.order_line_id),
            **quantities(ln, quantity="quantity", unit_cost="unit_cost", tax_percent="tax_percent"),
            **quantities(ln, ordered_quantity="ordered_qty", received_quantity="received_qty"),
            **quantities(ln, ordered_unit_cost="ordered_unit_cost"),
            **amounts(ln, currency, "untaxed", "tax", "total"),
            hold_reason=ln.hold_reason,
            product_id=ln.product_id,
        )

    @strawberry.field
    def product(self) -> Product:
        return Product(id=to_id(self.product_id))


@strawberry.type
class BillPayment:
    id: strawberry.ID
    amount: Money
    date: dt.date
    created_at: dt.datetime

    @classmethod
    def from_model(cls, p: models.BillPayment, currency: str) -> BillPayment:
        return cls(
            id=to_id(p.id), amount=money(p.amount, currency), date=p.date, created_at=p.created_at
        )


@strawberry.federation.type(keys=["id"], description="A supplier's bill for a purchase order.")
class VendorBill:
    id: strawberry.ID
    number: str
    supplier_reference: str
    status: VendorBillStatus
    currency: str
    bill_date: dt.date
    due_date: dt.date
    untaxed: Money
    tax: Money
    total: Money
    amount_paid: Money
    amount_due: Money
    hold_reasons: list[str] = strawberry.field(description="Why the three-way match held it.")
    released_by: User | None
    released_at: dt.datetime | None
    posted_at: dt.datetime | None
    paid_at: dt.datetime | None
    created_at: dt.datetime
    order_id: strawberry.Private[uuid.UUID]
    supplier_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, b: models.VendorBill) -> VendorBill:
        return cls(
            id=to_id(b.id),
            **same(b, "number", "supplier_reference", "currency", "bill_date", "due_date"),
            status=models.BillStatus(b.status),
            **amounts(b, b.currency, "untaxed", "tax", "total", "amount_paid", "amount_due"),
            hold_reasons=list(b.hold_reasons),
            released_by=_user(b.released_by),
            **same(b, "released_at", "posted_at", "paid_at", "created_at"),
            **same(b, "order_id", "supplier_id"),
        )

    @strawberry.field
    async def order(self, info: Info[Any, Any]) -> PurchaseOrder:
        return await load_required(info, loaders.orders, self.order_id, PurchaseOrder.from_model)

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Supplier:
        return await load_required(info, loaders.suppliers, self.supplier_id, Supplier.from_model)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[VendorBillLine]:
        return await load_many(
            info,
            loaders.lines_by_bill,
            parse_id(self.id),
            lambda ln: VendorBillLine.from_model(ln, self.currency),
        )

    @strawberry.field
    async def payments(self, info: Info[Any, Any]) -> list[BillPayment]:
        return await load_many(
            info,
            loaders.payments_by_bill,
            parse_id(self.id),
            lambda p: BillPayment.from_model(p, self.currency),
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> VendorBill | None:
        return await reference(info, READ, loaders.bills, id, cls.from_model)


TYPES = [Supplier, PurchaseOrder, VendorBill, Product, User, Warehouse]
