"""What notifications ships: the event types it knows (by their string values: the
emitting domains' `events.py` are the source, and a type not emitted yet is simply never
seen), the default rules every tenant gets, the default templates and the sample data
templates are previewed and checked with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from subgraphs.notifications.events import NotificationsEvent
from subgraphs.notifications.models import Channel, DocumentKind

STOCK_LOW = "stock.low"
ORDER_CONFIRMED = "order.confirmed"
ORDER_DELIVERED = "order.delivered"
INVOICE_POSTED = "invoice.posted"
INVOICE_OVERDUE = NotificationsEvent.INVOICE_OVERDUE.value  # raised by schedules
DEAL_WON = "deal.won"
ACTIVITY_DUE = NotificationsEvent.ACTIVITY_DUE.value  # raised by schedules
PRODUCTION_DONE = "production.done"
QUALITY_FAILED = "quality.failed"
BILL_HELD = "bill.held"
DIGEST = NotificationsEvent.DIGEST_DUE.value

DOCUMENT_OF_EVENT: dict[str, DocumentKind] = {
    ORDER_CONFIRMED: DocumentKind.SALES_ORDER,
    ORDER_DELIVERED: DocumentKind.DELIVERY_SLIP,
    INVOICE_POSTED: DocumentKind.INVOICE,
    INVOICE_OVERDUE: DocumentKind.INVOICE,
}
"""The document a rule with `attach_document` attaches, by event type."""

IN_APP, EMAIL, SMS = Channel.IN_APP, Channel.EMAIL, Channel.SMS


@dataclass(frozen=True, slots=True)
class DefaultRule:
    key: str
    event_type: str
    name: str
    channels: tuple[Channel, ...]
    roles: tuple[str, ...] = ()
    customer_contact: bool = False
    template: str = ""
    attach_document: bool = False

    @property
    def template_name(self) -> str:
        return self.template or self.event_type


DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule("stock.low/warehouse", STOCK_LOW, "Low stock", (IN_APP, EMAIL), ("warehouse",)),
    DefaultRule(
        "order.confirmed/customer",
        ORDER_CONFIRMED,
        "Order confirmation to the customer",
        (EMAIL,),
        customer_contact=True,
        template="order.confirmed/customer",
        attach_document=True,
    ),
    DefaultRule("order.confirmed/sales", ORDER_CONFIRMED, "Order confirmed", (IN_APP,), ("sales",)),
    DefaultRule(
        "order.delivered/customer",
        ORDER_DELIVERED,
        "Shipping notice to the customer",
        (EMAIL,),
        customer_contact=True,
        template="order.delivered/customer",
        attach_document=True,
    ),
    DefaultRule(
        "invoice.posted/customer",
        INVOICE_POSTED,
        "Invoice to the customer",
        (EMAIL,),
        customer_contact=True,
        template="invoice.posted/customer",
        attach_document=True,
    ),
    DefaultRule(
        "invoice.overdue/customer",
        INVOICE_OVERDUE,
        "Payment reminder to the customer",
        (EMAIL,),
        customer_contact=True,
        template="invoice.overdue/customer",
        attach_document=True,
    ),
    DefaultRule("invoice.overdue/sales", INVOICE_OVERDUE, "Invoice overdue", (IN_APP,), ("sales",)),
    DefaultRule(
        "invoice.overdue/accounting",
        INVOICE_OVERDUE,
        "Invoice overdue (accounting)",
        (IN_APP, EMAIL),
        ("accountant",),
    ),
    DefaultRule("deal.won/sales", DEAL_WON, "Deal won", (IN_APP,), ("sales", "manager")),
    DefaultRule("activity.due/sales", ACTIVITY_DUE, "Activity due today", (IN_APP,), ("sales",)),
    DefaultRule(
        "production.done/production",
        PRODUCTION_DONE,
        "Production done",
        (IN_APP,),
        ("production", "warehouse"),
    ),
    DefaultRule(
        "quality.failed/production",
        QUALITY_FAILED,
        "Quality check failed",
        (IN_APP, EMAIL),
        ("production", "manager"),
    ),
    DefaultRule(
        "bill.held/purchasing",
        BILL_HELD,
        "Vendor bill held",
        (IN_APP, EMAIL),
        ("purchasing", "manager"),
    ),
)

KNOWN_EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(r.event_type for r in DEFAULT_RULES))

DEFAULT_LOCALE = "en"


@dataclass(frozen=True, slots=True)
class TemplateText:
    subject: str
    body: str


_SIGNATURE = "\n\n{{ tenant.name }}"

DEFAULT_TEMPLATES: dict[tuple[str, Channel], TemplateText] = {
    (STOCK_LOW, IN_APP): TemplateText(
        "Low stock: {{ product.name or payload.productId }}",
        "{{ warehouse.name }}: {{ payload.available }} available, minimum"
        " {{ payload.minQuantity }}.",
    ),
    (STOCK_LOW, EMAIL): TemplateText(
        "Low stock: {{ product.name or payload.productId }}",
        "Hello {{ recipient.name }},\n\n{{ product.name }} ({{ product.sku }}) in"
        " {{ warehouse.name }} is down to {{ payload.available }}, below its minimum of"
        " {{ payload.minQuantity }}. Reorder up to {{ payload.maxQuantity }}." + _SIGNATURE,
    ),
    ("order.confirmed/customer", EMAIL): TemplateText(
        "Order {{ order.number }} confirmed",
        "Dear {{ customer.name }},\n\nthank you for your order {{ order.number }} of"
        " {{ order.total | money(order.currency) }}. The order confirmation is attached."
        + _SIGNATURE,
    ),
    (ORDER_CONFIRMED, IN_APP): TemplateText(
        "Order {{ payload.number }} confirmed",
        "{{ customer.name }}: {{ payload.total | money(payload.currency) }}"
        "{% if payload.backorder %} (partly backordered){% endif %}.",
    ),
    ("order.delivered/customer", EMAIL): TemplateText(
        "Order {{ order.number }} shipped",
        "Dear {{ customer.name }},\n\n{% if payload.complete %}your order {{ order.number }}"
        " is on its way{% else %}part of your order {{ order.number }} is on its way"
        "{% endif %}. The delivery slip is attached." + _SIGNATURE,
    ),
    ("invoice.posted/customer", EMAIL): TemplateText(
        "{% if invoice.kind == 'CREDIT_NOTE' %}Credit note{% else %}Invoice{% endif %}"
        " {{ invoice.number }}",
        "Dear {{ customer.name }},\n\nplease find attached"
        " {% if invoice.kind == 'CREDIT_NOTE' %}credit note{% else %}invoice{% endif %}"
        " {{ invoice.number }} of {{ invoice.total | money(invoice.currency) }}." + _SIGNATURE,
    ),
    ("invoice.overdue/customer", EMAIL): TemplateText(
        "Reminder: invoice {{ invoice.number }} is overdue",
        "Dear {{ customer.name }},\n\ninvoice {{ invoice.number }} of"
        " {{ invoice.total | money(invoice.currency) }} is overdue; please pay"
        " {{ payload.amountDue | money(invoice.currency) }}." + _SIGNATURE,
    ),
    (INVOICE_OVERDUE, IN_APP): TemplateText(
        "Invoice {{ payload.number }} overdue",
        "{{ customer.name }} owes {{ payload.amountDue | money(payload.currency) }}.",
    ),
    (INVOICE_OVERDUE, EMAIL): TemplateText(
        "Invoice {{ payload.number }} overdue",
        "Hello {{ recipient.name }},\n\ninvoice {{ payload.number }} to {{ customer.name }}"
        " was due on {{ payload.dueDate }}: {{ payload.amountDue | money(payload.currency) }}"
        " is still owed, {{ payload.daysOverdue }} days late." + _SIGNATURE,
    ),
    (DEAL_WON, IN_APP): TemplateText(
        "Deal won: {{ payload.amount | money(payload.currency) }}",
        "{{ customer.name }} signed for {{ payload.amount | money(payload.currency) }}.",
    ),
    (ACTIVITY_DUE, IN_APP): TemplateText(
        "Due today: {{ payload.subject }}", "{{ payload.type }} due {{ payload.dueAt }}."
    ),
    (PRODUCTION_DONE, IN_APP): TemplateText(
        "Production {{ payload.number }} done",
        "{{ payload.producedQuantity }} of {{ product.name or payload.productId }} produced"
        "{% if payload.backorderId %}; the rest is backordered{% endif %}.",
    ),
    (QUALITY_FAILED, IN_APP): TemplateText(
        "Quality check failed on {{ payload.number }}",
        "{{ payload.template }} failed{% if payload.required %}; the order is blocked"
        "{% endif %}. {{ payload.note }}",
    ),
    (QUALITY_FAILED, EMAIL): TemplateText(
        "Quality check failed on {{ payload.number }}",
        "Hello {{ recipient.name }},\n\nthe check {{ payload.template }} failed on production"
        " order {{ payload.number }}{% if payload.required %}, which is now blocked{% endif %}."
        "\n{{ payload.note }}" + _SIGNATURE,
    ),
    (BILL_HELD, IN_APP): TemplateText(
        "Vendor bill {{ payload.number }} held",
        "{{ payload.total | money(payload.currency) }}: {{ payload.reasons | join('; ') }}",
    ),
    (BILL_HELD, EMAIL): TemplateText(
        "Vendor bill {{ payload.number }} held",
        "Hello {{ recipient.name }},\n\nvendor bill {{ payload.number }} of"
        " {{ payload.total | money(payload.currency) }} failed the three-way match:\n"
        "{% for reason in payload.reasons %}- {{ reason }}\n{% endfor %}" + _SIGNATURE,
    ),
    (DIGEST, EMAIL): TemplateText(
        "Your NEXO digest: {{ items | length }} notification{{ 's' if items | length != 1 }}",
        "Hello {{ recipient.name }},\n\n{% for item in items %}- {{ item.subject }}\n"
        "{% endfor %}" + _SIGNATURE,
    ),
}

GENERIC = TemplateText(
    "{{ event.type }}", "{{ event.type }} on {{ event.aggregate_type }} {{ event.aggregate_id }}"
)
"""The last resort when no template of the name exists on the channel."""


def default_template(name: str, channel: Channel) -> TemplateText | None:
    """The shipped template of `name` on `channel`; SMS falls back to the in-app text."""
    found = DEFAULT_TEMPLATES.get((name, channel))
    if found is None and channel == SMS:
        found = DEFAULT_TEMPLATES.get((name, IN_APP)) or DEFAULT_TEMPLATES.get(
            (name.partition("/")[0], IN_APP)
        )
    return found


# --- sample data: previews, and the render check every template passes at save time ---

_ID = "00000000-0000-4000-8000-000000000001"


@dataclass(frozen=True, slots=True)
class Sample:
    payload: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


_ORDER = {
    "number": "SO-2026-00042",
    "status": "CONFIRMED",
    "currency": "EUR",
    "order_date": dt.date(2026, 12, 1),
    "untaxed": Decimal("100.0000"),
    "tax": Decimal("19.0000"),
    "total": Decimal("119.0000"),
    "lines": [
        {
            "position": 1,
            "product": "Widget",
            "sku": "WID-1",
            "description": "",
            "quantity": Decimal("4.0000"),
            "unit_price": Decimal("25.0000"),
            "discount_percent": Decimal("0"),
            "tax_percent": Decimal("19.0000"),
            "untaxed": Decimal("100.0000"),
            "tax": Decimal("19.0000"),
            "total": Decimal("119.0000"),
            "delivered": Decimal("4.0000"),
        }
    ],
}
_INVOICE = {
    "number": "INV-2026-00007",
    "kind": "INVOICE",
    "currency": "EUR",
    "invoice_date": dt.date(2026, 12, 1),
    "untaxed": Decimal("100.0000"),
    "tax": Decimal("19.0000"),
    "total": Decimal("119.0000"),
    "amount_paid": Decimal("0.0000"),
}
_CUSTOMER = {"name": "Acme Buyer GmbH", "email": "buyer@example.com"}

SAMPLES: dict[str, Sample] = {
    STOCK_LOW: Sample(
        {
            "alertId": _ID,
            "productId": _ID,
            "warehouseId": _ID,
            "available": "3.0000",
            "minQuantity": "10.0000",
            "maxQuantity": "50.0000",
        },
        {"product": {"name": "Widget", "sku": "WID-1"}, "warehouse": {"name": "Main"}},
    ),
    ORDER_CONFIRMED: Sample(
        {"number": "SO-2026-00042", "customerId": _ID, "currency": "EUR", "total": "119.0000"},
        {"order": _ORDER, "customer": _CUSTOMER},
    ),
    ORDER_DELIVERED: Sample(
        {"number": "SO-2026-00042", "complete": True, "lines": []},
        {"order": _ORDER, "customer": _CUSTOMER},
    ),
    INVOICE_POSTED: Sample(
        {"number": "INV-2026-00007", "kind": "INVOICE", "currency": "EUR", "total": "119.0000"},
        {"invoice": _INVOICE, "order": _ORDER, "customer": _CUSTOMER},
    ),
    INVOICE_OVERDUE: Sample(
        {
            "number": "INV-2026-00007",
            "currency": "EUR",
            "amountDue": "119.0000",
            "dueDate": "2026-11-30",
            "daysOverdue": 3,
        },
        {"invoice": _INVOICE, "customer": _CUSTOMER},
    ),
    DEAL_WON: Sample(
        {"customerId": _ID, "amount": "5000.0000", "currency": "EUR"}, {"customer": _CUSTOMER}
    ),
    ACTIVITY_DUE: Sample({"subject": "Call Acme", "type": "CALL", "dueAt": "2026-12-01T10:00"}),
    PRODUCTION_DONE: Sample(
        {"number": "MO-2026-00003", "productId": _ID, "producedQuantity": "10.0000"},
        {"product": {"name": "Widget", "sku": "WID-1"}},
    ),
    QUALITY_FAILED: Sample(
        {"number": "MO-2026-00003", "template": "Dimensions", "required": True, "note": ""}
    ),
    BILL_HELD: Sample(
        {"number": "BILL-2026-00001", "total": "120.0000", "currency": "EUR", "reasons": ["price"]}
    ),
    DIGEST: Sample(
        {"period": "2026-12-01"},
        {"items": [{"subject": "Low stock: Widget", "event_type": STOCK_LOW}]},
    ),
}


def sample_context(event_type: str) -> dict[str, Any]:
    """What a template of `event_type` is checked and previewed against."""
    sample = SAMPLES.get(event_type.partition("/")[0], Sample({}))
    return {
        "tenant": {"name": "Sample Co"},
        "recipient": {"name": "Sam Sample", "email": "sam@example.com"},
        "event": {
            "type": event_type,
            "id": _ID,
            "occurred_at": dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC),
            "aggregate_type": "Sample",
            "aggregate_id": _ID,
        },
        "payload": sample.payload,
        **sample.extra,
    }
