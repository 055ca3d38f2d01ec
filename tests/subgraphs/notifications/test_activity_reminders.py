"""The activities-due schedule: each CRM activity not done that falls due on the day is
announced once that morning (in-app, to sales), however often the scheduler runs;
activities of other days, done ones and other tenants' are not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared.context import Runtime
from subgraphs.notifications import api as notifications
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import config, inbox, ok, person
from tests.subgraphs.notifications.test_documents import customer_with_contact

DAY = dt.date(2031, 5, 6)


@pytest.fixture
def crm_gql(runtime: Runtime) -> GraphQLClient:
    from subgraphs.crm.app import build

    return GraphQLClient(runtime, build())


def at(runtime: Runtime, moment: dt.datetime) -> notifications.Worker:
    return notifications.Worker(runtime.db, config(digest_hour=7), clock=lambda: moment)


async def tick(worker: notifications.Worker, *tenants: TenantHandle) -> None:
    """One round of the worker for these tenants: schedules, relay, sending."""
    await worker.fire_schedules([t.id for t in tenants])
    for t in tenants:
        assert await worker.process(t.id)


async def _activity(
    crm: GraphQLClient, tenant: TenantHandle, customer: Any, subject: str, due: str
) -> str:
    made = await ok(
        crm,
        tenant.token,
        """mutation($input: CreateActivityInput!) {
             createActivity(input: $input) { activity { id } errors { field code message } } }""",
        input={"customerId": str(customer), "subject": subject, "type": "CALL", "dueAt": due},
    )
    assert made["createActivity"]["errors"] == [], made
    return str(made["createActivity"]["activity"]["id"])


async def test_activities_due_today_are_announced_once_that_morning(
    runtime: Runtime,
    crm_gql: GraphQLClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    seller = await person(runtime, tenant, "sales")
    rival = await person(runtime, other_tenant, "sales")
    customer = await customer_with_contact(runtime, tenant, name="Callback GmbH")
    await _activity(crm_gql, tenant, customer, "Call about the quote", f"{DAY}T15:30:00Z")
    await _activity(crm_gql, tenant, customer, "Last call of the day", f"{DAY}T23:59:59+00:00")
    await _activity(crm_gql, tenant, customer, "Next week", "2031-05-13T09:00:00Z")
    done = await _activity(crm_gql, tenant, customer, "Already done", f"{DAY}T10:00:00Z")
    completed = await ok(
        crm_gql,
        tenant.token,
        "mutation($input: ActivityIdInput!) { completeActivity(input: $input) { errors { code } } }",
        input={"id": done},
    )
    assert completed["completeActivity"]["errors"] == []

    early = dt.datetime.combine(DAY, dt.time(6), tzinfo=dt.UTC)  # before the digest hour
    await tick(at(runtime, early), tenant, other_tenant)
    assert await inbox(runtime, tenant.id, seller.id) == []

    morning = dt.datetime.combine(DAY, dt.time(8), tzinfo=dt.UTC)
    for _ in range(3):
        await tick(at(runtime, morning), tenant, other_tenant)
    await tick(at(runtime, morning + dt.timedelta(hours=6)), tenant, other_tenant)
    titles = sorted(n.title for n in await inbox(runtime, tenant.id, seller.id))
    assert titles == ["Due today: Call about the quote", "Due today: Last call of the day"]
    bodies = {n.title: n.body for n in await inbox(runtime, tenant.id, seller.id)}
    assert bodies["Due today: Call about the quote"] == "CALL due 2031-05-06T15:30Z."

    # The next day is another period: nothing falls due then.
    await tick(at(runtime, morning + dt.timedelta(days=1)), tenant, other_tenant)
    assert len(await inbox(runtime, tenant.id, seller.id)) == 2
    assert await inbox(runtime, other_tenant.id, rival.id) == []
