"""The invoice-overdue schedule: an overdue invoice produces one reminder per period, to
the customer's billing contact (the invoice PDF attached) and the accountants, however
often and by however many workers the scheduler runs; a paid invoice is reminded of no
more; another tenant sees none of it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from shared.context import Runtime
from shared.outbox import OutboxEvent
from subgraphs.notifications import api as notifications
from subgraphs.notifications.models import ScheduleFiring
from subgraphs.notifications.schedules import reminder_period
from subgraphs.sales.models import Invoice
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    config,
    inbox,
    ok,
    person,
    scalar,
)
from tests.subgraphs.notifications.test_documents import (
    attachments,
    confirmed_order,
    customer_with_contact,
    pdf_text,
)

BILLING = "accounts@overdue.example"


def at(runtime: Runtime, smtp: SmtpServer, day: dt.date) -> notifications.Worker:
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return notifications.Worker(runtime.db, config(smtp), clock=lambda: noon)


async def tick(worker: notifications.Worker, tenant: TenantHandle) -> None:
    """One round of the worker for this test's tenant: its schedules, relay and sending
    (the whole database holds other tests' tenants and invoices too)."""
    await worker.fire_schedules([tenant.id])
    assert await worker.process(tenant.id)


async def _invoiced(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> dict[str, Any]:
    customer = await customer_with_contact(runtime, tenant, email=BILLING, name="Late Payer AG")
    order = await confirmed_order(runtime, sales_gql, tenant, customer)
    for mutation, field in (
        ("mutation($input: DeliverSalesOrderInput!) { deliverSalesOrder(input: $input)", ""),
        ("mutation($input: SalesOrderIdInput!) { invoiceSalesOrder(input: $input)", "invoice"),
    ):
        selection = "invoice { id number total { amount } }" if field else ""
        done = await ok(
            sales_gql,
            tenant.token,
            f"{mutation} {{ {selection} errors {{ field code message }} }} }}",
            input={"id": order["id"]},
        )
        payload = next(iter(done.values()))
        assert payload["errors"] == [], payload
    invoice: dict[str, Any] = payload["invoice"]
    return invoice


def _reminders(smtp: SmtpServer) -> list[Any]:
    return [m for m in smtp.mailbox.to(BILLING) if m["Subject"].startswith("Reminder:")]


async def _events(runtime: Runtime, tenant: TenantHandle) -> int:
    return int(
        await scalar(
            runtime,
            tenant.id,
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "invoice.overdue"),
        )
    )


async def _firings(runtime: Runtime, tenant: TenantHandle) -> list[tuple[str, str]]:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        rows = await session.execute(
            select(ScheduleFiring.schedule, ScheduleFiring.period)
            .where(ScheduleFiring.schedule.like("invoice-overdue/%"))
            .order_by(ScheduleFiring.period)
        )
        return [(r[0], r[1]) for r in rows.all()]


def test_reminder_periods_are_weeks_past_the_due_date() -> None:
    assert [reminder_period(d) for d in (1, 7, 8, 14, 15, 100)] == [
        "week-1",
        "week-1",
        "week-2",
        "week-2",
        "week-3",
        "week-15",
    ]


async def test_an_overdue_invoice_is_reminded_of_once_per_period(
    runtime: Runtime,
    sales_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    smtp: SmtpServer,
) -> None:
    accountant = await person(runtime, tenant, "accountant")
    invoice = await _invoiced(runtime, sales_gql, tenant)
    due: dt.date = await scalar(
        runtime, tenant.id, select(Invoice.due_date).where(Invoice.id == invoice["id"])
    )

    # Not yet overdue on its due date: nothing.
    await tick(at(runtime, smtp, due), tenant)
    assert _reminders(smtp) == [] and await _events(runtime, tenant) == 0

    # Three days late, with three workers at once, then again and again.
    late = due + dt.timedelta(days=3)
    workers = [at(runtime, smtp, late) for _ in range(3)]
    await asyncio.gather(*(tick(w, tenant) for w in workers))
    for w in workers:
        await tick(w, tenant)
        await w.fire_schedules([tenant.id])
    await tick(at(runtime, smtp, late + dt.timedelta(days=3)), tenant)  # same period

    assert await _firings(runtime, tenant) == [(f"invoice-overdue/{invoice['id']}", "week-1")]
    assert await _events(runtime, tenant) == 1
    [reminder] = _reminders(smtp)
    assert reminder["Subject"] == f"Reminder: invoice {invoice['number']} is overdue"
    assert "please pay 135.00 EUR" in reminder.get_body(("plain",)).get_content()
    [(name, _, content)] = attachments(reminder)
    assert name == f"{invoice['number']}.pdf" and invoice["number"] in pdf_text(content)
    [to_accountant] = [m for m in smtp.mailbox.to(accountant.email) if "overdue" in m["Subject"]]
    assert to_accountant["Subject"] == f"Invoice {invoice['number']} overdue"
    body = to_accountant.get_content()
    assert "Late Payer AG" in body and "135.00 EUR is still owed, 3 days late" in body
    titles = [n.title for n in await inbox(runtime, tenant.id, accountant.id)]
    assert titles == [f"Invoice {invoice['number']} overdue"]

    # The next period: one more reminder.
    await tick(at(runtime, smtp, due + dt.timedelta(days=9)), tenant)
    assert len(_reminders(smtp)) == 2
    assert [p for _, p in await _firings(runtime, tenant)] == ["week-1", "week-2"]

    # Paid in full: no reminder in the period after.
    paid = await ok(
        sales_gql,
        tenant.token,
        """mutation($input: RegisterPaymentInput!) {
             registerPayment(input: $input) { errors { field code message } } }""",
        input={"invoiceId": invoice["id"], "amount": invoice["total"]["amount"]},
    )
    assert paid["registerPayment"]["errors"] == []
    await tick(at(runtime, smtp, due + dt.timedelta(days=16)), tenant)
    assert len(_reminders(smtp)) == 2 and await _events(runtime, tenant) == 2

    assert await _events(runtime, other_tenant) == 0
    assert await _firings(runtime, other_tenant) == []
