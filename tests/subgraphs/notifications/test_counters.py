"""The worker counts deliveries sent, failed attempts and dead letters by channel, by
exactly what it committed. The counters are the process's, so the worker here works for
this test's tenant only (other tests' tenants may have deliveries pending)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from shared.context import Runtime
from subgraphs.notifications.models import DeliveryState
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    deliveries,
    emit_one,
    make_worker,
    person,
    ping_rule,
)

COUNTERS = [
    (name, channel)
    for name in (
        "nexo_notifications_sent_total",
        "nexo_notifications_failed_total",
        "nexo_notifications_dead_lettered_total",
    )
    for channel in ("IN_APP", "EMAIL")
]


def snapshot() -> dict[tuple[str, str], float]:
    return {
        (name, channel): REGISTRY.get_sample_value(name, {"channel": channel}) or 0.0
        for name, channel in COUNTERS
    }


async def test_sent_failed_and_dead_deliveries_are_counted_by_channel(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["IN_APP", "EMAIL"])
    before = snapshot()

    first = await emit_one(runtime, tenant.id)
    await make_worker(runtime, smtp).process(tenant.id)  # this tenant's work only
    assert {d.state for d in await deliveries(runtime, tenant.id, event_id=first)} == {
        DeliveryState.SENT
    }
    assert len(smtp.mailbox.to(user.email)) == 1

    smtp.mailbox.failing = True  # three failed attempts, the last one a dead letter
    second = await emit_one(runtime, tenant.id)
    assert await make_worker(runtime, smtp, max_attempts=3).process(tenant.id)
    states = {d.channel: d.state for d in await deliveries(runtime, tenant.id, event_id=second)}
    assert states == {"IN_APP": DeliveryState.SENT, "EMAIL": DeliveryState.DEAD}

    after = snapshot()
    assert {k: after[k] - before[k] for k in before} == {
        ("nexo_notifications_sent_total", "IN_APP"): 2,
        ("nexo_notifications_sent_total", "EMAIL"): 1,
        ("nexo_notifications_failed_total", "IN_APP"): 0,
        ("nexo_notifications_failed_total", "EMAIL"): 3,
        ("nexo_notifications_dead_lettered_total", "IN_APP"): 0,
        ("nexo_notifications_dead_lettered_total", "EMAIL"): 1,
    }
