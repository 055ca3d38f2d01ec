"""Sales documents as PDF: attached to the customer's email, and served at an
authenticated, tenant-checked URL on the notifications app."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import httpx
from pypdf import PdfReader

from shared.context import Runtime
from subgraphs.crm import api as crm
from subgraphs.identity import tenants
from subgraphs.notifications.app import create_app
from subgraphs.notifications.models import DeliveryState
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    deliveries,
    make_worker,
    ok,
    person,
)


async def customer_with_contact(
    runtime: Runtime,
    tenant: TenantHandle,
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str = "Acme Buyer GmbH",
) -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        customer = await crm.create_customer(
            session,
            tenant.id,
            fields=crm.CustomerFields(
                name=name,
                email=email,
                phone=phone,
                currency="EUR",
                billing_address={"line1": "Hauptstraße 1", "postal_code": "1010", "city": "Wien"},
            ),
            actor=tenant.admin_id,
        )
    return customer.id


async def stocked_product(
    runtime: Runtime, tenant: TenantHandle, name: str, price: str
) -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        page = await stock.list_warehouses(session, tenant.id, first=1, after=None)
        if page.rows:
            warehouse = page.rows[0].id
        else:
            warehouse = (await stock.create_warehouse(session, tenant.id, code="WH", name="WH")).id
        location = await stock.stock_location(session, tenant.id, warehouse)
        product = await stock.create_product(
            session,
            tenant.id,
            stock.ProductFields(
                sku=f"{name[:3].upper()}-{uuid.uuid4().hex[:6]}",
                name=name,
                sales_price=Decimal(price),
            ),
        )
        await stock.receive(
            session,
            tenant.id,
            source=None,
            lines=[stock.SupplyLine(product.id, location, Decimal("100"), Decimal("1"))],
        )
    return product.id


ORDER = "id number status total { amount currency } tax { amount }"


async def confirmed_order(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle, customer: uuid.UUID
) -> dict[str, Any]:
    seller = await person(runtime, tenant, "sales")
    widget = await stocked_product(runtime, tenant, "Widget", "25")
    gadget = await stocked_product(runtime, tenant, "Gädget Ł", "10")
    admin = tenant.token
    rate = await ok(
        sales_gql,
        admin,
        """mutation { createTaxRate(input: {name: "VAT 20", percent: "20"}) {
             taxRate { id } errors { code } } }""",
    )
    vat = rate["createTaxRate"]["taxRate"]["id"]
    created = await ok(
        sales_gql,
        seller.token,
        f"""mutation($input: CreateSalesOrderInput!) {{
              createSalesOrder(input: $input) {{ order {{ {ORDER} }} errors {{ field code }} }} }}""",
        input={
            "customerId": str(customer),
            "lines": [
                {"productId": str(widget), "quantity": "4", "taxRateId": vat},
                {"productId": str(gadget), "quantity": "1.5"},
            ],
        },
    )
    order = created["createSalesOrder"]["order"]
    confirmed = await ok(
        sales_gql,
        seller.token,
        f"""mutation($input: ConfirmSalesOrderInput!) {{
              confirmSalesOrder(input: $input) {{ order {{ {ORDER} }} errors {{ field code }} }} }}""",
        input={"id": order["id"]},
    )
    assert confirmed["confirmSalesOrder"]["errors"] == []
    return dict(confirmed["confirmSalesOrder"]["order"])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def attachments(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    ]


async def test_confirming_an_order_emails_the_customer_contact_with_the_order_pdf(
    runtime: Runtime,
    sales_gql: GraphQLClient,
    tenant: TenantHandle,
    smtp: SmtpServer,
) -> None:
    customer = await customer_with_contact(runtime, tenant, email="buyer@acme.example")
    order = await confirmed_order(runtime, sales_gql, tenant, customer)
    # 4 x 25 at 20 % VAT + 1.5 x 10 untaxed: 100 + 20 + 15.
    assert order["total"] == {"amount": "135.00", "currency": "EUR"}

    await make_worker(runtime, smtp).run_once()

    [mail] = smtp.mailbox.to("buyer@acme.example")
    assert mail["Subject"] == f"Order {order['number']} confirmed"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert "thank you for your order" in body.get_content()
    assert "135.00 EUR" in body.get_content()
    [(filename, content_type, content)] = attachments(mail)
    assert (filename, content_type) == (f"{order['number']}.pdf", "application/pdf")
    text = pdf_text(content)
    assert order["number"] in text
    assert "Order confirmation" in text
    assert "Total" in text and "135.00 EUR" in text
    assert "Tax 20 %" in text and "20.00 EUR" in text
    assert "Acme Buyer GmbH" in text and "Wien" in text
    assert "Widget" in text and "Gädget L" in text  # Ł has no Latin-1 glyph: its base letter


async def test_an_unsubscribed_contact_gets_no_customer_email(
    runtime: Runtime,
    gql: GraphQLClient,
    sales_gql: GraphQLClient,
    tenant: TenantHandle,
    smtp: SmtpServer,
) -> None:
    customer = await customer_with_contact(runtime, tenant, email="quiet@acme.example")
    data = await ok(
        gql,
        tenant.token,
        """mutation($input: SetContactUnsubscribedInput!) {
             setContactUnsubscribed(input: $input) { contactId unsubscribed errors { code } } }""",
        input={"contactId": str(customer)},
    )
    assert data["setContactUnsubscribed"] == {
        "contactId": str(customer),
        "unsubscribed": True,
        "errors": [],
    }
    await confirmed_order(runtime, sales_gql, tenant, customer)
    await make_worker(runtime, smtp).run_once()
    assert smtp.mailbox.to("quiet@acme.example") == []
    [skipped] = await deliveries(runtime, tenant.id, event_type="order.confirmed", channel="EMAIL")
    assert (skipped.state, skipped.last_error) == (
        DeliveryState.SKIPPED,
        "The contact unsubscribed",
    )


def client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://notifications")


async def test_documents_are_served_only_to_their_tenant_with_a_token(
    runtime: Runtime,
    gql: GraphQLClient,
    sales_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    customer = await customer_with_contact(runtime, tenant, email="docs@acme.example")
    order = await confirmed_order(runtime, sales_gql, tenant, customer)
    entities = await ok(
        gql,
        tenant.token,
        """query($r: [_Any!]!) { _entities(representations: $r) {
             ... on SalesOrder { pdfUrl deliverySlipPdfUrl } } }""",
        r=[{"__typename": "SalesOrder", "id": order["id"]}],
    )
    url = entities["_entities"][0]["pdfUrl"]
    assert url == f"/documents/sales-order/{order['id']}.pdf"
    assert entities["_entities"][0]["deliverySlipPdfUrl"] == (
        f"/documents/delivery-slip/{order['id']}.pdf"
    )
    producer = await person(runtime, tenant, "production")  # no sales:read
    async with client(runtime) as http:
        own = await http.get(url, headers={"authorization": f"Bearer {tenant.token}"})
        assert own.status_code == 200
        assert own.headers["content-type"] == "application/pdf"
        assert order["number"] in pdf_text(own.content)
        slip = await http.get(
            f"/documents/delivery-slip/{order['id']}.pdf",
            headers={"authorization": f"Bearer {tenant.token}"},
        )
        assert slip.status_code == 200 and "Delivery slip" in pdf_text(slip.content)
        foreign = await http.get(url, headers={"authorization": f"Bearer {other_tenant.token}"})
        assert foreign.status_code == 404
        anonymous = await http.get(url)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        forged = await http.get(url, headers={"authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
        forbidden = await http.get(url, headers={"authorization": f"Bearer {producer.token}"})
        assert forbidden.status_code == 403
        for bad in ("/documents/sales-order/nope.pdf", f"/documents/quote/{order['id']}.pdf"):
            response = await http.get(bad, headers={"authorization": f"Bearer {tenant.token}"})
            assert response.status_code == 404, bad


async def test_an_invoice_email_carries_the_invoice_pdf(
    runtime: Runtime,
    sales_gql: GraphQLClient,
    tenant: TenantHandle,
    smtp: SmtpServer,
) -> None:
    customer = await customer_with_contact(runtime, tenant, email="billing@acme.example")
    async with runtime.db.transaction(tenant.id) as session:
        await tenants.update_tenant(
            session,
            tenant.id,
            address={"line1": "Werkstraße 5", "postal_code": "4020", "city": "Linz"},
            tax_id="ATU12345678",
        )
    order = await confirmed_order(runtime, sales_gql, tenant, customer)
    admin = tenant.token
    delivered = await ok(
        sales_gql,
        admin,
        """mutation($input: DeliverSalesOrderInput!) {
             deliverSalesOrder(input: $input) { errors { field code message } } }""",
        input={"id": order["id"]},
    )
    assert delivered["deliverSalesOrder"]["errors"] == []
    invoiced = await ok(
        sales_gql,
        admin,
        """mutation($input: SalesOrderIdInput!) {
             invoiceSalesOrder(input: $input) {
               invoice { id number total { amount } } errors { field code message } } }""",
        input={"id": order["id"]},
    )
    invoice = invoiced["invoiceSalesOrder"]["invoice"]

    await make_worker(runtime, smtp).run_once()

    mails = smtp.mailbox.to("billing@acme.example")
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == sorted(
        [
            f"Invoice {invoice['number']}",
            f"Order {order['number']} confirmed",
            f"Order {order['number']} shipped",
        ]
    )
    by_subject = {m["Subject"]: m for m in mails}
    [(name, _, content)] = attachments(by_subject[f"Invoice {invoice['number']}"])
    assert name == f"{invoice['number']}.pdf"
    text = pdf_text(content)
    assert invoice["number"] in text and order["number"] in text and "135.00 EUR" in text
    # The invoice's own lines, its taxes per rate and its due date are on it.
    assert "Widget" in text and "Gädget L" in text and "100.00 EUR" in text
    assert "Tax 20 %" in text and "20.00 EUR" in text and "Due " in text
    # The seller: the tenant's address and tax id under its name.
    assert "Werkstraße 5" in text and "4020 Linz" in text and "Tax ID ATU12345678" in text
    [(slip_name, _, slip)] = attachments(by_subject[f"Order {order['number']} shipped"])
    assert slip_name == f"{order['number']}-delivery.pdf"
    assert "Delivery slip" in pdf_text(slip)
