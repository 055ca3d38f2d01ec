"""The outbox events sales emits (through `shared.outbox.emit`, in the transaction of the
change). Amounts and quantities travel as decimal strings, ids as UUID strings."""

from __future__ import annotations

from enum import StrEnum


class SalesEvent(StrEnum):
    ORDER_CONFIRMED = "order.confirmed"
    """A quotation became an order (aggregate SalesOrder). Payload: `number`, `customerId`,
    `currency`, `total`, `exchangeRate` (fixed at confirmation), `backorder` (bool: part
    of the goods may be unreserved), `creditLimitOverridden` (bool: confirmed past the
    customer's credit limit by a caller allowed to)."""

    ORDER_DELIVERED = "order.delivered"
    """Goods left for the customer (aggregate SalesOrder). Payload: `number`, `complete`
    (bool: nothing is left to deliver), `lines`: [{`lineId`, `productId`, `quantity`}]."""

    ORDER_CLOSED = "order.closed"
    """The rest of a partly delivered order was cancelled (aggregate SalesOrder): its
    reservations and backorders are released and it is DELIVERED. Payload: `number`,
    `lines`: [{`lineId`, `cancelledQuantity`}] (what will not be delivered)."""

    ORDER_RETURNED = "order.returned"
    """Goods came back from the customer (aggregate SalesOrder). Payload: `number`,
    `returnId`, `creditNoteId` (null when nothing invoiced was returned), `condition`
    (RESELLABLE, INSPECT or DAMAGED), `lines`: [{`lineId`, `quantity`}]."""

    INVOICE_POSTED = "invoice.posted"
    """An invoice or credit note was posted (aggregate Invoice). Payload: `number`, `kind`
    (INVOICE or CREDIT_NOTE), `orderId`, `customerId`, `currency`, `total`."""

    INVOICE_PAID = "invoice.paid"
    """An invoice is paid in full (aggregate Invoice). Payload: `number`, `orderId`,
    `total`, `currency`."""

    CREDIT_NOTE_REFUNDED = "credit_note.refunded"
    """Money was paid back on a credit note (aggregate Invoice, the note). Payload:
    `number`, `orderId`, `amount`, `currency`."""

    CREDIT_NOTE_APPLIED = "credit_note.applied"
    """Part of a credit note was set against an open invoice (aggregate Invoice, the
    note). Payload: `number`, `invoiceId`, `invoiceNumber`, `amount`, `currency`."""
