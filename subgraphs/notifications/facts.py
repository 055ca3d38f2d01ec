"""The facts messages and documents are rendered from: an event and what it is about
(the order, the invoice, the customer, the product...), read through the owning domains'
`api` modules and turned into plain dicts, so a template sees data and nothing else."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput
from shared.outbox import OutboxEvent
from subgraphs.identity import api as identity
from subgraphs.notifications.contacts import CustomerContact, customer_contact
from subgraphs.sales import api as sales
from subgraphs.stock import api as stock

Facts = dict[str, Any]


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def contact_facts(contact: CustomerContact | None) -> Facts | None:
    if contact is None:
        return None
    return {
        "id": str(contact.id),
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "address": contact.address or {},
    }


@dataclass
class FactCache:
    """Look-ups shared by the events of one batch (one tenant, one transaction)."""

    tenant: Facts | None = None
    orders: dict[uuid.UUID, Facts | None] = field(default_factory=dict)
    invoices: dict[uuid.UUID, Facts | None] = field(default_factory=dict)
    contacts: dict[uuid.UUID, CustomerContact | None] = field(default_factory=dict)


async def tenant_facts(session: AsyncSession, tenant: TenantId, cache: FactCache) -> Facts:
    if cache.tenant is None:
        found = await identity.get_tenant(session, tenant)
        cache.tenant = {
            "name": found.name if found else "",
            "address": dict(found.address or {}) if found else {},
            "tax_id": found.tax_id if found else "",
        }
    return cache.tenant


async def order_facts(
    session: AsyncSession, tenant: TenantId, order_id: uuid.UUID, cache: FactCache
) -> Facts | None:
    if order_id in cache.orders:
        return cache.orders[order_id]
    try:
        order = await sales.get_order(session, tenant, order_id)
    except InvalidInput:
        cache.orders[order_id] = None
        return None
    lines = await sales.order_lines(session, tenant, order_id)
    products = await stock.products_by_id(session, tenant, [ln.product_id for ln in lines])
    facts: Facts = {
        "id": str(order.id),
        "customer_id": order.customer_id,
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "order_date": order.order_date,
        "notes": order.notes,
        "untaxed": order.untaxed,
        "tax": order.tax,
        "total": order.total,
        "lines": [
            {
                "position": ln.position,
                "product": products[ln.product_id].name if ln.product_id in products else "",
                "sku": products[ln.product_id].sku if ln.product_id in products else "",
                "uom": products[ln.product_id].uom if ln.product_id in products else "",
                "description": ln.description,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount_percent": ln.discount_percent,
                "tax_percent": ln.tax_percent,
                "untaxed": ln.untaxed,
                "tax": ln.tax,
                "total": ln.total,
                "delivered": ln.delivered_qty,
            }
            for ln in lines
        ],
    }
    cache.orders[order_id] = facts
    return facts


async def invoice_facts(
    session: AsyncSession, tenant: TenantId, invoice_id: uuid.UUID, cache: FactCache
) -> Facts | None:
    if invoice_id in cache.invoices:
        return cache.invoices[invoice_id]
    try:
        invoice = await sales.get_invoice(session, tenant, invoice_id)
    except InvalidInput:
        cache.invoices[invoice_id] = None
        return None
    facts: Facts = {
        "id": str(invoice.id),
        "order_id": invoice.order_id,
        "customer_id": invoice.customer_id,
        "number": invoice.number,
        "kind": invoice.kind,
        "status": invoice.status,
        "currency": invoice.currency,
        "invoice_date": invoice.invoice_date,
        "untaxed": invoice.untaxed,
        "tax": invoice.tax,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "reason": invoice.reason,
        "due_date": invoice.due_date,
        "lines": await _invoice_lines(session, tenant, invoice.id),
    }
    cache.invoices[invoice_id] = facts
    return facts


async def _invoice_lines(
    session: AsyncSession, tenant: TenantId, invoice_id: uuid.UUID
) -> list[Facts]:
    """What the invoice bills, in the order's line order (not the whole order: a partial
    invoice bills only what it covers)."""
    lines = (await sales.lines_by_invoice(session, tenant, [invoice_id])).get(invoice_id, [])
    products = await stock.products_by_id(session, tenant, [ln.product_id for ln in lines])
    return [
        {
            "position": position,
            "product": products[ln.product_id].name if ln.product_id in products else "",
            "description": "",
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "discount_percent": ln.discount_percent,
            "tax_percent": ln.tax_percent,
            "untaxed": ln.untaxed,
            "tax": ln.tax,
            "total": ln.total,
        }
        for position, ln in enumerate(lines, start=1)
    ]


async def contact_of(
    session: AsyncSession, tenant: TenantId, customer_id: uuid.UUID | None, cache: FactCache
) -> CustomerContact | None:
    if customer_id is None:
        return None
    if customer_id not in cache.contacts:
        cache.contacts[customer_id] = await customer_contact(session, tenant, customer_id)
    return cache.contacts[customer_id]


def event_summary(event: OutboxEvent) -> Facts:
    occurred: dt.datetime | None = event.occurred_at
    return {
        "type": event.type,
        "id": str(event.id),
        "occurred_at": occurred,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": str(event.aggregate_id),
    }


async def event_facts(
    session: AsyncSession, tenant: TenantId, event: OutboxEvent, cache: FactCache
) -> tuple[Facts, CustomerContact | None]:
    """The template context of `event` (without `recipient`), and the customer contact of
    the document it is about, if any."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    facts: Facts = {
        "tenant": await tenant_facts(session, tenant, cache),
        "event": event_summary(event),
        "payload": payload,
    }
    order_id = event.aggregate_id if event.aggregate_type == "SalesOrder" else None
    order_id = order_id or _uuid(payload.get("orderId"))
    customer_id = _uuid(payload.get("customerId"))
    if event.aggregate_type == "Invoice":
        invoice = await invoice_facts(session, tenant, event.aggregate_id, cache)
        facts["invoice"] = invoice
        if invoice is not None:
            customer_id = customer_id or invoice["customer_id"]
            order_id = order_id or invoice["order_id"]
    if order_id is not None:
        order = await order_facts(session, tenant, order_id, cache)
        facts["order"] = order
        if order is not None:
            customer_id = customer_id or order["customer_id"]
    if (product_id := _uuid(payload.get("productId"))) is not None:
        found = await stock.products_by_id(session, tenant, [product_id])
        if (p := found.get(product_id)) is not None:
            facts["product"] = {"name": p.name, "sku": p.sku, "uom": p.uom}
    if (warehouse_id := _uuid(payload.get("warehouseId"))) is not None:
        whs = await stock.warehouses_by_id(session, tenant, [warehouse_id])
        if (w := whs.get(warehouse_id)) is not None:
            facts["warehouse"] = {"name": w.name, "code": w.code}
    contact = await contact_of(session, tenant, customer_id, cache)
    facts["customer"] = contact_facts(contact)
    return facts, contact
