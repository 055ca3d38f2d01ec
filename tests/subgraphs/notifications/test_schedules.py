"""Preferences (off, digest instead of immediately) and the schedules: a period fires
once per tenant however often and by however many workers it is evaluated."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from shared.context import Runtime
from shared.outbox import OutboxEvent
from subgraphs.notifications import api as notifications
from subgraphs.notifications.models import DeliveryState, ScheduleFiring
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    config,
    deliveries,
    emit_one,
    inbox,
    make_worker,
    ok,
    person,
    ping_rule,
    scalar,
)

PREFER = """
mutation($input: SetNotificationPreferenceInput!) {
  setNotificationPreference(input: $input) {
    preference { eventType channel mode } errors { field code message }
  }
}"""


def clocked(
    runtime: Runtime, smtp: SmtpServer, at: dt.datetime, tenant: TenantHandle
) -> notifications.Worker:
    """A worker at `at` for this test's tenant only: years ahead, every other tenant's
    invoices would be overdue and its schedules would send their reminders too."""
    return notifications.Worker(
        runtime.db, config(smtp, digest_hour=7), clock=lambda: at, tenants=[tenant.id]
    )


async def test_a_user_can_turn_a_channel_off(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["IN_APP", "EMAIL"])
    data = await ok(
        gql, user.token, PREFER, input={"eventType": "*", "channel": "EMAIL", "mode": "OFF"}
    )
    assert data["setNotificationPreference"] == {
        "preference": {"eventType": "*", "channel": "EMAIL", "mode": "OFF"},
        "errors": [],
    }
    event = await emit_one(runtime, tenant.id)
    await make_worker(runtime, smtp).run_once()
    assert len(await inbox(runtime, tenant.id, user.id)) == 1
    assert smtp.mailbox.to(user.email) == []
    email = await deliveries(runtime, tenant.id, event_id=event, channel="EMAIL")
    assert [(d.state, d.last_error) for d in email] == [
        (DeliveryState.SKIPPED, "The recipient turned this notification off")
    ]
    listed = await ok(
        gql, user.token, "{ notificationPreferences { edges { node { eventType mode } } } }"
    )
    assert listed["notificationPreferences"]["edges"] == [
        {"node": {"eventType": "*", "mode": "OFF"}}
    ]
    bad = await ok(
        gql,
        user.token,
        PREFER,
        input={"eventType": "test.ping", "channel": "SMS", "mode": "DIGEST"},
    )
    assert bad["setNotificationPreference"]["errors"] == [
        {
            "field": "input.mode",
            "code": "INVALID_CHOICE",
            "message": "Only email can be collected in a digest",
        }
    ]


async def test_digest_email_is_held_and_sent_once_per_day_however_often_the_schedule_runs(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["EMAIL"])
    await ok(
        gql,
        user.token,
        PREFER,
        input={"eventType": "test.ping", "channel": "EMAIL", "mode": "DIGEST"},
    )
    early = dt.datetime(2031, 3, 4, 6, 0, tzinfo=dt.UTC)  # before the digest hour
    for _ in range(2):
        await emit_one(runtime, tenant.id)
    await clocked(runtime, smtp, early, tenant).run_once()
    held = await deliveries(runtime, tenant.id, user_id=user.id, state=DeliveryState.HELD)
    assert len(held) == 2
    assert smtp.mailbox.to(user.email) == []

    morning = dt.datetime(2031, 3, 4, 8, 0, tzinfo=dt.UTC)
    workers = [clocked(runtime, smtp, morning, tenant) for _ in range(3)]
    await asyncio.gather(*(w.run_once() for w in workers))
    for w in workers:  # and again, and again: the period has fired
        await w.run_once()
        await w.fire_schedules([tenant.id])

    firings = await _firings(runtime, tenant)
    assert firings == [("daily-digest", "2031-03-04")]
    digests = await _digest_events(runtime, tenant)
    assert digests == 1
    [mail] = smtp.mailbox.to(user.email)
    assert mail["Subject"] == "Your NEXO digest: 2 notifications"
    assert mail.get_content().count("- test.ping") == 2
    assert await deliveries(runtime, tenant.id, user_id=user.id, state=DeliveryState.HELD) == []
    assert len(await deliveries(runtime, tenant.id, state=DeliveryState.DIGESTED)) == 2

    # The next day is a new period.
    await emit_one(runtime, tenant.id)
    await clocked(runtime, smtp, morning + dt.timedelta(days=1), tenant).run_once()
    assert await _firings(runtime, tenant) == [
        ("daily-digest", "2031-03-04"),
        ("daily-digest", "2031-03-05"),
    ]
    assert [m["Subject"] for m in smtp.mailbox.to(user.email)] == [
        "Your NEXO digest: 2 notifications",
        "Your NEXO digest: 1 notification",
    ]


async def _firings(runtime: Runtime, tenant: TenantHandle) -> list[Any]:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        rows = await session.execute(
            select(ScheduleFiring.schedule, ScheduleFiring.period).order_by(ScheduleFiring.period)
        )
        return [tuple(r) for r in rows.all()]


async def _digest_events(runtime: Runtime, tenant: TenantHandle) -> int:
    return int(
        await scalar(
            runtime,
            tenant.id,
            select(func.count())
            .select_from(OutboxEvent)
            .where(
                OutboxEvent.type == "notifications.digest",
                OutboxEvent.payload["period"].astext == "2031-03-04",
            ),
        )
    )
