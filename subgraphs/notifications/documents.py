"""Sales documents as PDF (fpdf2): quotation / order confirmation, delivery slip, invoice
or credit note, with the tenant's name, the customer, the lines, taxes and totals.

Data comes through sales', stock's, crm's and identity's `api` (see `facts`). Text is
set in the PDF core font Helvetica, which covers Latin-1: other characters are reduced
to their Latin-1 base letter where one exists (Ł → L), else `?` — a document always
renders.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.notifications.facts import (
    FactCache,
    Facts,
    contact_facts,
    contact_of,
    invoice_facts,
    order_facts,
    tenant_facts,
)
from subgraphs.notifications.models import DocumentKind

CENT = Decimal("0.01")
QUOTATION_STATES = ("QUOTATION", "SENT")
ADDRESS_KEYS = ("line1", "line2", "postal_code", "city", "region", "country")


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


_SPELLED = {
    "\u20ac": "EUR",  # euro sign
    "\u0141": "L",  # L with stroke
    "\u0142": "l",
    "\u0110": "D",  # D with stroke
    "\u0111": "d",
    "\u0131": "i",  # dotless i
    "\u0152": "OE",
    "\u0153": "oe",
    "\u2018": "'",  # typographic quotes and dashes
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
}


def latin1(value: Any) -> str:
    out = []
    for ch in str(value if value is not None else ""):
        if ord(ch) < 256:
            out.append(ch)
        elif ch in _SPELLED:
            out.append(_SPELLED[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]
            out.append(base if base and ord(base) < 256 else "?")
    return "".join(out)


def _money(value: Decimal, currency: str) -> str:
    return f"{Decimal(value).quantize(CENT):,.2f} {currency}".rstrip()


def _qty(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


class _Pdf(FPDF):
    def text_line(self, value: Any, *, size: float = 10, bold: bool = False, h: float = 5) -> None:
        self.set_font("helvetica", "B" if bold else "", size)
        self.multi_cell(0, h, latin1(value), new_x="LMARGIN", new_y="NEXT")


def _address_lines(address: dict[str, Any]) -> list[str]:
    parts = [address.get(k) for k in ADDRESS_KEYS]
    city = " ".join(str(p) for p in (address.get("postal_code"), address.get("city")) if p)
    lines = [str(p) for p in parts[:2] if p]
    if city:
        lines.append(city)
    lines += [str(p) for p in parts[4:] if p]
    return lines


def _header(
    pdf: _Pdf, tenant: Facts, title: str, number: str, date: Any, customer: Facts | None
) -> None:
    pdf.add_page()
    pdf.text_line(tenant.get("name", ""), size=16, bold=True, h=8)
    for line in _address_lines(tenant.get("address") or {}):
        pdf.text_line(line, size=9, h=4)
    if tenant.get("tax_id"):
        pdf.text_line(f"Tax ID {tenant['tax_id']}", size=9, h=4)
    pdf.ln(4)
    if customer:
        pdf.text_line(customer.get("name", ""), bold=True)
        for line in _address_lines(customer.get("address") or {}):
            pdf.text_line(line)
        pdf.ln(4)
    pdf.text_line(f"{title} {number}", size=14, bold=True, h=7)
    pdf.text_line(f"Date: {date}")
    pdf.ln(3)


COLUMNS = (("Pos", 10), ("Product", 62), ("Qty", 18), ("Unit price", 26), ("Disc %", 14))


def _lines_table(pdf: _Pdf, lines: list[Facts], currency: str) -> None:
    widths = [w for _, w in COLUMNS] + [14, 46]
    heads = [h for h, _ in COLUMNS] + ["Tax %", "Amount"]
    pdf.set_font("helvetica", "B", 9)
    for head, width in zip(heads, widths, strict=True):
        pdf.cell(width, 6, head, border="B", align="R" if head not in ("Product",) else "L")
    pdf.ln()
    pdf.set_font("helvetica", "", 9)
    for ln in lines:
        extra = ln.get("description") or ""
        name = ln["product"] + (f" - {extra}" if extra and extra != ln["product"] else "")
        cells = [
            str(ln["position"]),
            latin1(name)[:40],
            _qty(ln["quantity"]),
            _money(ln["unit_price"], ""),
            _qty(ln["discount_percent"]),
            _qty(ln["tax_percent"]),
            _money(ln["untaxed"], currency),
        ]
        for i, (value, width) in enumerate(zip(cells, widths, strict=True)):
            pdf.cell(width, 6, value, align="L" if i == 1 else "R")
        pdf.ln()


def _totals(pdf: _Pdf, facts: Facts, taxes: dict[Decimal, Decimal], currency: str) -> None:
    pdf.ln(3)
    per_rate = [(f"Tax {_qty(r)} %", amount) for r, amount in sorted(taxes.items()) if amount]
    rows = [("Untaxed", facts["untaxed"]), *(per_rate or [("Tax", facts["tax"])])]
    rows.append(("Total", facts["total"]))
    for label, amount in rows:
        pdf.set_font("helvetica", "B" if label == "Total" else "", 10)
        pdf.cell(144, 6, latin1(label), align="R")
        pdf.cell(46, 6, _money(amount, currency), align="R")
        pdf.ln()


def _taxes(lines: list[Facts]) -> dict[Decimal, Decimal]:
    found: dict[Decimal, Decimal] = defaultdict(Decimal)
    for ln in lines:
        found[Decimal(ln["tax_percent"])] += Decimal(ln["tax"])
    return dict(found)


def order_pdf(tenant: Facts, order: Facts, customer: Facts | None) -> bytes:
    pdf = _Pdf(format="A4")
    title = "Quotation" if order["status"] in QUOTATION_STATES else "Order confirmation"
    _header(pdf, tenant, title, order["number"], order["order_date"], customer)
    _lines_table(pdf, order["lines"], order["currency"])
    _totals(pdf, order, _taxes(order["lines"]), order["currency"])
    if order.get("notes"):
        pdf.ln(4)
        pdf.text_line(order["notes"], size=9)
    return bytes(pdf.output())


def delivery_slip_pdf(tenant: Facts, order: Facts, customer: Facts | None) -> bytes:
    pdf = _Pdf(format="A4")
    _header(pdf, tenant, "Delivery slip", order["number"], order["order_date"], customer)
    pdf.set_font("helvetica", "B", 9)
    for head, width in (("Pos", 12), ("Product", 110), ("Ordered", 34), ("Delivered", 34)):
        pdf.cell(width, 6, head, border="B", align="L" if head == "Product" else "R")
    pdf.ln()
    pdf.set_font("helvetica", "", 9)
    for ln in order["lines"]:
        pdf.cell(12, 6, str(ln["position"]), align="R")
        pdf.cell(110, 6, latin1(f"{ln['sku']} {ln['product']}")[:70])
        pdf.cell(34, 6, f"{_qty(ln['quantity'])} {latin1(ln['uom'])}", align="R")
        pdf.cell(34, 6, f"{_qty(ln['delivered'])} {latin1(ln['uom'])}", align="R")
        pdf.ln()
    return bytes(pdf.output())


def invoice_pdf(
    tenant: Facts, invoice: Facts, order: Facts | None, customer: Facts | None
) -> bytes:
    pdf = _Pdf(format="A4")
    title = "Credit note" if invoice["kind"] == "CREDIT_NOTE" else "Invoice"
    _header(pdf, tenant, title, invoice["number"], invoice["invoice_date"], customer)
    if order is not None:
        pdf.text_line(f"Order {order['number']}")
    if invoice.get("due_date") and invoice["kind"] != "CREDIT_NOTE":
        pdf.text_line(f"Due {invoice['due_date'].isoformat()}")
    if invoice.get("reason"):
        pdf.text_line(invoice["reason"])
    pdf.ln(2)
    _lines_table(pdf, invoice["lines"], invoice["currency"])
    _totals(pdf, invoice, _taxes(invoice["lines"]), invoice["currency"])
    paid = Decimal(invoice["amount_paid"])
    if paid:
        pdf.cell(144, 6, "Paid", align="R")
        pdf.cell(46, 6, _money(paid, invoice["currency"]), align="R")
        pdf.ln()
    return bytes(pdf.output())


async def load(
    session: AsyncSession, tenant: TenantId, kind: DocumentKind, document_id: uuid.UUID
) -> Document | None:
    """The document, or None when the order or invoice is unknown or another tenant's."""
    cache = FactCache()
    tenant_data = await tenant_facts(session, tenant, cache)
    if kind == DocumentKind.INVOICE:
        invoice = await invoice_facts(session, tenant, document_id, cache)
        if invoice is None:
            return None
        order = await order_facts(session, tenant, invoice["order_id"], cache)
        customer = contact_facts(await contact_of(session, tenant, invoice["customer_id"], cache))
        content = invoice_pdf(tenant_data, invoice, order, customer)
        return Document(f"{invoice['number']}.pdf", content)
    order = await order_facts(session, tenant, document_id, cache)
    if order is None:
        return None
    customer = contact_facts(await contact_of(session, tenant, order["customer_id"], cache))
    if kind == DocumentKind.DELIVERY_SLIP:
        return Document(
            f"{order['number']}-delivery.pdf", delivery_slip_pdf(tenant_data, order, customer)
        )
    return Document(f"{order['number']}.pdf", order_pdf(tenant_data, order, customer))
