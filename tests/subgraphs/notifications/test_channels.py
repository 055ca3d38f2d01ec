"""Email through a real SMTP server, SMS through an HTTP provider, retries with backoff,
dead letters and their retry, and at-least-once sending across a crash."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared.context import Runtime
from subgraphs.notifications import api as notifications
from subgraphs.notifications.config import WorkerConfig
from subgraphs.notifications.models import DeliveryState
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmsGateway,
    SmtpServer,
    config,
    deliveries,
    emit_one,
    make_worker,
    ok,
    person,
    ping_rule,
)

DEAD_LETTERS = """
query($first: Int) {
  deadLetters(first: $first) {
    totalCount
    edges { node { id eventType channel state address attempts lastError user { id } } }
  }
}"""

RETRY = """
mutation($input: IdInput!) {
  retryDeadLetter(input: $input) {
    delivery { id state attempts }
    errors { field code message }
  }
}"""


async def test_a_failing_smtp_server_leads_to_retries_then_a_dead_letter_that_can_be_retried(
    runtime: Runtime,
    gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    smtp: SmtpServer,
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["EMAIL"])
    event = await emit_one(runtime, tenant.id)
    smtp.mailbox.failing = True

    await make_worker(runtime, smtp, max_attempts=3).run_once()

    [dead] = await deliveries(runtime, tenant.id, event_id=event)
    assert (dead.state, dead.attempts) == (DeliveryState.DEAD, 3)
    assert "451" in (dead.last_error or "")
    assert smtp.mailbox.messages == []
    data = await ok(gql, tenant.token, DEAD_LETTERS, first=10)
    node = data["deadLetters"]["edges"][0]["node"]
    assert data["deadLetters"]["totalCount"] == 1
    assert node == {
        "id": str(dead.id),
        "eventType": "test.ping",
        "channel": "EMAIL",
        "state": "DEAD",
        "address": user.email,
        "attempts": 3,
        "lastError": dead.last_error,
        "user": {"id": str(user.id)},
    }

    # Another tenant neither sees nor retries it.
    assert (await ok(gql, other_tenant.token, DEAD_LETTERS))["deadLetters"]["totalCount"] == 0
    foreign = await ok(gql, other_tenant.token, RETRY, input={"id": str(dead.id)})
    assert foreign["retryDeadLetter"] == {
        "delivery": None,
        "errors": [
            {"field": "input.id", "code": "NOT_FOUND", "message": "No delivery with this id"}
        ],
    }
    lookup = "query($id: ID!) { notificationDelivery(id: $id) { id } }"
    assert await ok(gql, other_tenant.token, lookup, id=str(dead.id)) == {
        "notificationDelivery": None
    }

    smtp.mailbox.failing = False  # the server is back
    data = await ok(gql, tenant.token, RETRY, input={"id": str(dead.id)})
    assert data["retryDeadLetter"] == {
        "delivery": {"id": str(dead.id), "state": "PENDING", "attempts": 0},
        "errors": [],
    }
    await make_worker(runtime, smtp).run_once()
    [sent] = await deliveries(runtime, tenant.id, event_id=event)
    assert (sent.state, sent.attempts, sent.last_error) == (DeliveryState.SENT, 1, None)
    assert len(smtp.mailbox.to(user.email)) == 1
    assert (await ok(gql, tenant.token, DEAD_LETTERS))["deadLetters"]["totalCount"] == 0
    # Only a dead letter can be retried.
    again = await ok(gql, tenant.token, RETRY, input={"id": str(dead.id)})
    assert again["retryDeadLetter"]["errors"] == [
        {
            "field": "input.id",
            "code": "INVALID_STATE",
            "message": "Only a dead letter can be retried (it is SENT)",
        }
    ]


async def test_a_failed_attempt_waits_out_an_exponential_backoff(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["EMAIL"])
    event = await emit_one(runtime, tenant.id)
    smtp.mailbox.failing = True
    await make_worker(runtime, smtp, backoff=600, max_attempts=5).run_once()

    [waiting] = await deliveries(runtime, tenant.id, event_id=event)
    assert (waiting.state, waiting.attempts) == (DeliveryState.PENDING, 1)
    delay = waiting.next_attempt_at - waiting.updated_at
    assert dt.timedelta(seconds=590) < delay < dt.timedelta(seconds=610)
    # Not due yet: another pass does not try again.
    await make_worker(runtime, smtp, backoff=600).run_once()
    [still] = await deliveries(runtime, tenant.id, event_id=event)
    assert still.attempts == 1
    rules = WorkerConfig(backoff=30, backoff_max=3600)
    assert [rules.backoff_after(n) for n in (1, 2, 3, 4, 8)] == [30, 60, 120, 240, 3600]


class Killed(BaseException):
    """The process dies: nothing after this line of the worker runs."""


class DiesAfterSending:
    def __init__(self, inner: notifications.Sender) -> None:
        self.inner = inner

    async def send(self, message: notifications.Message) -> None:
        await self.inner.send(message)
        raise Killed


async def test_a_worker_killed_between_sending_and_marking_sent_resends_once(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["EMAIL"])
    event = await emit_one(runtime, tenant.id)
    settings = config(smtp)
    email = notifications.EmailSender(settings.smtp)
    doomed = notifications.Worker(
        runtime.db, settings, channels={notifications.Channel.EMAIL: DiesAfterSending(email)}
    )
    with pytest.raises(Killed):
        await doomed.run_once()
    assert len(smtp.mailbox.to(user.email)) == 1  # it went out...
    [pending] = await deliveries(runtime, tenant.id, event_id=event)
    assert (pending.state, pending.attempts) == (DeliveryState.PENDING, 0)  # ...unrecorded

    for _ in range(3):  # the next worker, and any number after it
        await make_worker(runtime, smtp).run_once()

    mails = smtp.mailbox.to(user.email)
    assert len(mails) == 2  # re-sent exactly once
    assert mails[0]["X-Nexo-Delivery"] == mails[1]["X-Nexo-Delivery"] == str(pending.id)
    [sent] = await deliveries(runtime, tenant.id, event_id=event)
    assert (sent.state, sent.attempts) == (DeliveryState.SENT, 1)


async def test_sms_goes_through_the_http_provider(
    runtime: Runtime,
    gql: GraphQLClient,
    tenant: TenantHandle,
    sms_gateway: SmsGateway,
    sales_gql: GraphQLClient,
) -> None:
    from tests.subgraphs.notifications.test_documents import customer_with_contact

    customer = await customer_with_contact(runtime, tenant, phone="+43 660 1234567")
    await ok(
        gql,
        tenant.token,
        """mutation($input: SaveNotificationRuleInput!) {
             saveNotificationRule(input: $input) { errors { field code message } }
           }""",
        input={
            "eventType": "deal.won",
            "name": "Thank the customer",
            "channels": ["SMS"],
            "customerContact": True,
        },
    )
    await emit_customer_event(runtime, tenant, "deal.won", customer)
    await make_worker(runtime, sms=sms_gateway).run_once()

    assert sms_gateway.requests == [
        {
            "path": "/messages",
            "authorization": "Bearer sms-secret",
            "json": {"to": "+43 660 1234567", "body": "Acme Buyer GmbH signed for 5,000.00 EUR."},
        }
    ]


async def test_an_sms_provider_refusing_counts_as_a_failed_attempt(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, sms_gateway: SmsGateway
) -> None:
    from tests.subgraphs.notifications.test_documents import customer_with_contact

    customer = await customer_with_contact(runtime, tenant, phone="+43 660 7654321")
    await ok(
        gql,
        tenant.token,
        """mutation($input: SaveNotificationRuleInput!) {
             saveNotificationRule(input: $input) { errors { field code message } }
           }""",
        input={
            "eventType": "deal.won",
            "name": "SMS",
            "channels": ["SMS"],
            "customerContact": True,
        },
    )
    event = await emit_customer_event(runtime, tenant, "deal.won", customer)
    sms_gateway.status = 503
    await make_worker(runtime, sms=sms_gateway, max_attempts=2).run_once()
    [dead] = await deliveries(runtime, tenant.id, event_id=event)
    assert (dead.state, dead.attempts, dead.last_error) == (
        DeliveryState.DEAD,
        2,
        "SMS provider answered 503",
    )
    assert len(sms_gateway.requests) == 2


async def emit_customer_event(
    runtime: Runtime, tenant: TenantHandle, type: str, customer: Any
) -> Any:
    from shared.outbox import emit

    async with runtime.db.transaction(tenant.id) as session:
        event = await emit(
            session,
            tenant.id,
            type=type,
            aggregate_type="Deal",
            aggregate_id=customer,
            payload={"customerId": str(customer), "amount": "5000.0000", "currency": "EUR"},
        )
        return event.id


def test_the_configuration_comes_from_the_environment() -> None:
    from subgraphs.notifications.config import ConfigError, from_env

    settings = from_env(
        {
            "NEXO_SMTP_HOST": "mail.example.com",
            "NEXO_SMTP_PORT": "587",
            "NEXO_SMTP_FROM": "ACME <erp@acme.example>",
            "NEXO_NOTIFY_POLL_SECONDS": "0.5",
            "NEXO_NOTIFY_MAX_ATTEMPTS": "7",
            "NEXO_DOCUMENTS_URL": "https://erp.acme.example/",
        }
    )
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.sender) == (
        "mail.example.com",
        587,
        "ACME <erp@acme.example>",
    )
    assert (settings.worker.poll_interval, settings.worker.max_attempts) == (0.5, 7)
    assert settings.documents_url == "https://erp.acme.example"
    defaults = from_env({})
    assert (defaults.smtp.host, defaults.smtp.port, defaults.worker.backoff) == (
        "localhost",
        25,
        30.0,
    )
    with pytest.raises(ConfigError, match="NEXO_SMTP_PORT='x': must be a number"):
        from_env({"NEXO_SMTP_PORT": "x"})
    with pytest.raises(ConfigError, match="must be at least 1"):
        from_env({"NEXO_NOTIFY_BATCH": "0"})
