"""Sales' surface for other domains (and their seeds): reading orders, their lines and
invoices (production links make-to-order work to order lines; notifications render
documents and remind of `overdue_invoices`), the states they are in, and the events
sales emits. Everything else of sales is reached through the graph. Problems carry paths
relative to each function's arguments."""

from subgraphs.sales.events import SalesEvent
from subgraphs.sales.invoicing import get_invoice
from subgraphs.sales.models import (
    BOOKED,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    InvoicingStatus,
    OrderState,
    SalesOrder,
    SalesOrderLine,
)
from subgraphs.sales.orders import get_order, order_lines
from subgraphs.sales.reads import OrderFilter, lines_by_invoice, list_orders, order_lines_by_id
from subgraphs.sales.receivables import OpenInvoice, overdue_invoices

__all__ = [
    "BOOKED",
    "Invoice",
    "InvoiceKind",
    "InvoiceStatus",
    "InvoicingStatus",
    "OpenInvoice",
    "OrderFilter",
    "OrderState",
    "SalesEvent",
    "SalesOrder",
    "SalesOrderLine",
    "get_invoice",
    "get_order",
    "lines_by_invoice",
    "list_orders",
    "order_lines",
    "order_lines_by_id",
    "overdue_invoices",
]
