"""Purchases' dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid
from decimal import Decimal

from aiodataloader import DataLoader

from shared import batch
from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.purchases import reads
from subgraphs.purchases.models import (
    BillPayment,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierPrice,
    VendorBill,
    VendorBillLine,
)


def suppliers(ctx: RequestContext) -> DataLoader[uuid.UUID, Supplier | None]:
    return loader(ctx, "purchases.suppliers", lambda s, t, ids: batch.by_id(s, Supplier, t, ids))


def prices_by_supplier(ctx: RequestContext) -> DataLoader[uuid.UUID, list[SupplierPrice]]:
    return loader(
        ctx,
        "purchases.prices_by_supplier",
        lambda s, t, ids: batch.grouped_by(
            s,
            SupplierPrice,
            t,
            SupplierPrice.supplier_id,
            ids,
            order_by=[SupplierPrice.product_id, SupplierPrice.min_quantity],
        ),
        default=list,
    )


def orders(ctx: RequestContext) -> DataLoader[uuid.UUID, PurchaseOrder | None]:
    return loader(ctx, "purchases.orders", lambda s, t, ids: batch.by_id(s, PurchaseOrder, t, ids))


def lines_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[PurchaseOrderLine]]:
    return loader(
        ctx,
        "purchases.lines_by_order",
        lambda s, t, ids: batch.grouped_by(
            s,
            PurchaseOrderLine,
            t,
            PurchaseOrderLine.order_id,
            ids,
            order_by=[PurchaseOrderLine.position],
        ),
        default=list,
    )


def receipts_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Receipt]]:
    return loader(
        ctx,
        "purchases.receipts_by_order",
        lambda s, t, ids: batch.grouped_by(
            s, Receipt, t, Receipt.order_id, ids, order_by=[Receipt.created_at, Receipt.number]
        ),
        default=list,
    )


def lines_by_receipt(ctx: RequestContext) -> DataLoader[uuid.UUID, list[ReceiptLine]]:
    return loader(
        ctx,
        "purchases.lines_by_receipt",
        lambda s, t, ids: batch.grouped_by(
            s, ReceiptLine, t, ReceiptLine.receipt_id, ids, order_by=[ReceiptLine.created_at]
        ),
        default=list,
    )


def bills(ctx: RequestContext) -> DataLoader[uuid.UUID, VendorBill | None]:
    return loader(ctx, "purchases.bills", lambda s, t, ids: batch.by_id(s, VendorBill, t, ids))


def bills_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[VendorBill]]:
    return loader(
        ctx,
        "purchases.bills_by_order",
        lambda s, t, ids: batch.grouped_by(
            s, VendorBill, t, VendorBill.order_id, ids, order_by=[VendorBill.number]
        ),
        default=list,
    )


def lines_by_bill(ctx: RequestContext) -> DataLoader[uuid.UUID, list[VendorBillLine]]:
    return loader(
        ctx,
        "purchases.lines_by_bill",
        lambda s, t, ids: batch.grouped_by(
            s, VendorBillLine, t, VendorBillLine.bill_id, ids, order_by=[VendorBillLine.position]
        ),
        default=list,
    )


def payments_by_bill(ctx: RequestContext) -> DataLoader[uuid.UUID, list[BillPayment]]:
    return loader(
        ctx,
        "purchases.payments_by_bill",
        lambda s, t, ids: batch.grouped_by(
            s, BillPayment, t, BillPayment.bill_id, ids, order_by=[BillPayment.created_at]
        ),
        default=list,
    )


def product_suppliers(ctx: RequestContext) -> DataLoader[uuid.UUID, list[reads.ProductSupplier]]:
    return loader(ctx, "purchases.product_suppliers", reads.product_suppliers, default=list)


def last_purchase_costs(ctx: RequestContext) -> DataLoader[uuid.UUID, reads.LastCost | None]:
    return loader(ctx, "purchases.last_purchase_costs", reads.last_purchase_costs)


def incoming_quantities(ctx: RequestContext) -> DataLoader[uuid.UUID, Decimal]:
    return loader(
        ctx, "purchases.incoming_quantities", reads.incoming_quantities, default=lambda: Decimal(0)
    )


def base_currencies(ctx: RequestContext) -> DataLoader[str, str]:
    """Load `reads.BASE` for the tenant's base currency."""
    return loader(ctx, "purchases.base_currency", reads.base_currencies)
