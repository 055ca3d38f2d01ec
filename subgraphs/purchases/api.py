"""Purchases' surface for other domains (notifications renders its documents), seeds, the
CLI and tests: suppliers and price lists with the best-price rule, purchase orders from
request to receipt, vendor bills with their three-way match and payments, the tenant's
purchasing policy, the states and the events purchases emits. Everything runs in the
caller's transaction; problems carry paths relative to each function's own arguments."""

from __future__ import annotations

from subgraphs.purchases.approval import (
    Approver,
    approve_purchase_order,
    confirm_purchase_order,
    reject_purchase_order,
)
from subgraphs.purchases.bills import (
    BillLineInput,
    PaymentResult,
    create_vendor_bill,
    pay_vendor_bill,
    release_vendor_bill,
)
from subgraphs.purchases.events import PurchaseEvent
from subgraphs.purchases.models import (
    ApprovalStatus,
    BillingStatus,
    BillStatus,
    OrderState,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Supplier,
    SupplierPrice,
    VendorBill,
)
from subgraphs.purchases.orders import (
    LineInput,
    cancel_purchase_order,
    create_purchase_order,
    send_purchase_order,
    update_purchase_order,
)
from subgraphs.purchases.policy import Policy, get_policy, set_policy
from subgraphs.purchases.prices import (
    PriceFields,
    add_supplier_price,
    best_price,
    best_supplier_price,
    order_quantity,
    remove_supplier_price,
    set_preferred_supplier,
    update_supplier_price,
)
from subgraphs.purchases.reads import (
    BillFilter,
    OrderFilter,
    SupplierFilter,
    incoming_quantities,
    last_purchase_costs,
    list_bills,
    list_orders,
    list_suppliers,
    product_suppliers,
)
from subgraphs.purchases.receipts import (
    ReceiptLineInput,
    ReceiptResult,
    close_purchase_order,
    receive_purchase_order,
)
from subgraphs.purchases.suppliers import (
    SupplierFields,
    create_supplier,
    set_archived,
    update_supplier,
)

__all__ = [
    "ApprovalStatus",
    "Approver",
    "BillFilter",
    "BillLineInput",
    "BillStatus",
    "BillingStatus",
    "LineInput",
    "OrderFilter",
    "OrderState",
    "PaymentResult",
    "Policy",
    "PriceFields",
    "PurchaseEvent",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Receipt",
    "ReceiptLineInput",
    "ReceiptResult",
    "Supplier",
    "SupplierFields",
    "SupplierFilter",
    "SupplierPrice",
    "VendorBill",
    "add_supplier_price",
    "approve_purchase_order",
    "best_price",
    "best_supplier_price",
    "cancel_purchase_order",
    "close_purchase_order",
    "confirm_purchase_order",
    "create_purchase_order",
    "create_supplier",
    "create_vendor_bill",
    "get_policy",
    "incoming_quantities",
    "last_purchase_costs",
    "list_bills",
    "list_orders",
    "list_suppliers",
    "order_quantity",
    "pay_vendor_bill",
    "product_suppliers",
    "receive_purchase_order",
    "reject_purchase_order",
    "release_vendor_bill",
    "remove_supplier_price",
    "send_purchase_order",
    "set_archived",
    "set_policy",
    "set_preferred_supplier",
    "update_purchase_order",
    "update_supplier",
    "update_supplier_price",
]
