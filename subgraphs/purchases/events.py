"""The outbox events purchases emits (through `shared.outbox.emit`, in the transaction of
the change). Amounts and quantities travel as decimal strings, ids as UUID strings."""

from __future__ import annotations

from enum import StrEnum


class PurchaseEvent(StrEnum):
    PO_CONFIRMED = "po.confirmed"
    """An order was confirmed with its supplier (aggregate PurchaseOrder). Payload:
    `number`, `supplierId`, `currency`, `total`, `exchangeRate` (fixed at confirmation),
    `expectedDate` (ISO date or null), `approvedBy` (user id or null)."""

    PO_RECEIVED = "po.received"
    """Goods came in against an order (aggregate PurchaseOrder). Payload: `number`,
    `receiptId`, `complete` (bool: nothing is left to receive), `lines`: [{`lineId`,
    `productId`, `quantity`, `unitCost` (base currency)}]."""

    BILL_HELD = "bill.held"
    """A vendor bill failed the three-way match and waits for release (aggregate
    VendorBill). Payload: `number`, `orderId`, `supplierId`, `total`, `currency`,
    `reasons`: [string]."""

    BILL_PAID = "bill.paid"
    """A vendor bill is paid in full (aggregate VendorBill). Payload: `number`, `orderId`,
    `supplierId`, `total`, `currency`."""
