"""The relay: outbox events become deliveries exactly once per event, recipient and
channel, however many workers run, woken by NOTIFY or found by the polling sweep."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from shared.context import Runtime
from shared.outbox import OutboxEvent
from subgraphs.notifications import api as notifications
from subgraphs.notifications.models import Delivery, DeliveryState, Notification
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    config,
    emit_events,
    emit_one,
    inbox,
    make_worker,
    person,
    ping_rule,
    scalar,
    unpublished,
    wait_for,
)


async def test_an_event_becomes_an_inbox_notification_and_is_published(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    event_id = await emit_one(runtime, tenant.id)

    progress = await make_worker(runtime).run_once()

    assert progress.relayed >= 1
    rows = await inbox(runtime, tenant.id, user.id)
    assert [(n.event_id, n.event_type, n.title) for n in rows] == [
        (event_id, "test.ping", "test.ping")
    ]
    assert await unpublished(runtime, tenant.id) == 0
    # Relaying again (a second worker, a later sweep) writes nothing more.
    await make_worker(runtime).run_once()
    assert len(await inbox(runtime, tenant.id, user.id)) == 1


async def _low_stock_setup(
    runtime: Runtime, tenant: TenantHandle
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    async with runtime.db.transaction(tenant.id) as session:
        wh = await stock.create_warehouse(session, tenant.id, code="MAIN", name="Main Hall")
        location = await stock.stock_location(session, tenant.id, wh.id)
        product = await stock.create_product(
            session,
            tenant.id,
            stock.ProductFields(sku=f"BOLT-{uuid.uuid4().hex[:6]}", name="Bolt M8"),
        )
        await stock.receive(
            session,
            tenant.id,
            source=None,
            lines=[stock.SupplyLine(product.id, location, Decimal("20"), Decimal("1"))],
        )
        await stock.set_reorder_rule(
            session,
            tenant.id,
            product_id=product.id,
            warehouse_id=wh.id,
            min_quantity=Decimal("10"),
            max_quantity=Decimal("50"),
        )
    return wh.id, location, product.id


async def test_crossing_a_reorder_minimum_notifies_each_warehouse_user_once_in_app_and_by_email(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    keepers = [await person(runtime, tenant, "warehouse") for _ in range(2)]
    seller = await person(runtime, tenant, "sales")
    _, location, product = await _low_stock_setup(runtime, tenant)
    async with runtime.db.transaction(tenant.id) as session:
        await stock.adjust(
            session,
            tenant.id,
            location_id=location,
            lines=[stock.CountLine(product, Decimal("4"))],
        )
    low = await scalar(
        runtime,
        tenant.id,
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "stock.low"),
    )
    assert low == 1

    worker = make_worker(runtime, smtp)
    await worker.run_once()
    await worker.run_once()  # a second pass changes nothing

    for keeper in keepers:
        rows = await inbox(runtime, tenant.id, keeper.id)
        assert [(n.event_type, n.title, n.body) for n in rows] == [
            ("stock.low", "Low stock: Bolt M8", "Main Hall: 4.0000 available, minimum 10.0000.")
        ]
        mails = smtp.mailbox.to(keeper.email)
        assert len(mails) == 1
        assert mails[0]["Subject"] == "Low stock: Bolt M8"
        assert mails[0]["From"] == "NEXO Test <nexo@example.com>"
        text = mails[0].get_content()
        assert "Bolt M8" in text and "4.0000" in text and "10.0000" in text
        assert mails[0]["X-Nexo-Delivery"]
    assert await inbox(runtime, tenant.id, seller.id) == []
    assert smtp.mailbox.to(seller.email) == []


async def test_two_workers_in_parallel_deliver_each_event_exactly_once(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    events = await emit_events(runtime, tenant.id, 300)
    first, second = make_worker(runtime, batch_size=20), make_worker(runtime, batch_size=20)

    await asyncio.gather(first.run_once(), second.run_once())

    rows = await inbox(runtime, tenant.id, user.id)
    assert sorted(n.event_id for n in rows) == sorted(events)
    assert first.progress.relayed > 0 and second.progress.relayed > 0
    assert await unpublished(runtime, tenant.id) == 0


@pytest.mark.slow
async def test_ten_thousand_events_are_relayed_none_lost_none_duplicated(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    for _ in range(10):
        await emit_events(runtime, tenant.id, 1_000)
    workers = [make_worker(runtime, batch_size=500) for _ in range(3)]

    await asyncio.gather(*(w.run_once() for w in workers))

    outbox = await scalar(
        runtime,
        tenant.id,
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "test.ping"),
    )
    published = await scalar(
        runtime,
        tenant.id,
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.type == "test.ping", OutboxEvent.published_at.is_not(None)),
    )
    delivered = await scalar(runtime, tenant.id, select(func.count()).select_from(Delivery))
    distinct = await scalar(
        runtime, tenant.id, select(func.count(func.distinct(Delivery.event_id)))
    )
    notified = await scalar(runtime, tenant.id, select(func.count()).select_from(Notification))
    # Every outbox event has its one delivery: none lost, none twice.
    unmatched = await scalar(
        runtime,
        tenant.id,
        select(func.count())
        .select_from(OutboxEvent)
        .where(
            OutboxEvent.type == "test.ping",
            ~select(Delivery.id).where(Delivery.event_id == OutboxEvent.id).exists(),
        ),
    )
    assert (outbox, published, delivered, distinct, notified, unmatched) == (
        10_000,
        10_000,
        10_000,
        10_000,
        10_000,
        0,
    )
    assert sum(w.progress.relayed for w in workers) >= 10_000  # (+ other tenants' events)
    assert all(w.progress.relayed > 0 for w in workers)


async def test_notify_wakes_a_sleeping_worker(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    # Polls only every minute: only the NOTIFY can make it relay within the test.
    worker = make_worker(runtime, poll_interval=60, schedule_interval=60)
    task = asyncio.create_task(worker.run())
    try:

        async def swept() -> bool:
            return worker.progress.sweeps == 1

        await wait_for(swept)
        assert worker.listening
        event_id = await emit_one(runtime, tenant.id)

        async def delivered() -> bool:
            return any(n.event_id == event_id for n in await inbox(runtime, tenant.id, user.id))

        await wait_for(delivered, within=10)
        assert worker.progress.sweeps == 1  # woken by the NOTIFY, not by a sweep
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
    assert not worker.listening


async def test_the_polling_sweep_finds_events_whose_notification_was_missed(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    await emit_events(runtime, tenant.id, 3)  # nobody listening: the NOTIFY is lost
    worker = make_worker(runtime, poll_interval=0.05)
    found = await worker.tenants_with_work(await worker.tenants())
    assert tenant.id in found
    task = asyncio.create_task(worker.run())
    try:

        async def delivered() -> bool:
            return len(await inbox(runtime, tenant.id, user.id)) == 3

        await wait_for(delivered)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)
    assert tenant.id not in await worker.tenants_with_work([tenant.id])


async def test_the_probe_sees_each_tenant_only_through_row_level_security(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    worker = make_worker(runtime)
    await worker.run_once()  # both tenants' sign-up events relayed: no work left
    assert await worker.tenants_with_work([tenant.id, other_tenant.id]) == set()
    await emit_one(runtime, tenant.id)
    assert await worker.tenants_with_work([tenant.id, other_tenant.id]) == {tenant.id}
    # The probe leaves no tenant bound behind it.
    async with runtime.db.transaction(None) as session:
        found = await session.scalars(
            text("select notifications.tenants_with_work(cast(:ids as uuid[]))"),
            {"ids": [tenant.id]},
        )
        assert list(found) == [tenant.id]
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


async def test_a_stopped_worker_finishes_its_batch_and_loses_nothing(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    await make_worker(runtime).run_once()  # the sign-up event out of the way
    events = await emit_events(runtime, tenant.id, 2_000)
    worker = make_worker(runtime, batch_size=10)
    task = asyncio.create_task(worker.run())

    async def started() -> bool:
        return worker.progress.relayed > 0

    await wait_for(started)
    worker.stop()  # what SIGTERM does
    await asyncio.wait_for(task, 10)
    delivered = len(await inbox(runtime, tenant.id, user.id))
    left = await unpublished(runtime, tenant.id)
    assert 0 < delivered < 2_000  # it stopped part-way...
    assert delivered % 10 == 0  # ...after whole batches...
    assert delivered + left == 2_000  # ...and nothing is lost or half-done

    await make_worker(runtime).run_once()
    rows = await inbox(runtime, tenant.id, user.id)
    assert sorted(n.event_id for n in rows) == sorted(events)


async def test_deliveries_of_every_channel_are_written_once_per_recipient(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, smtp: SmtpServer
) -> None:
    a = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [a.id, a.id], channels=["IN_APP", "EMAIL", "IN_APP"])
    await ping_rule(gql, tenant.token, [a.id])  # a second rule reaching the same person
    event = await emit_one(runtime, tenant.id)
    await make_worker(runtime, smtp).run_once()
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        rows = (
            await session.execute(
                select(Delivery.channel, Delivery.state, Delivery.recipient).where(
                    Delivery.event_id == event
                )
            )
        ).all()
    assert sorted(rows) == [
        ("EMAIL", DeliveryState.SENT, f"user:{a.id}"),
        ("IN_APP", DeliveryState.SENT, f"user:{a.id}"),
    ]
    assert len(smtp.mailbox.to(a.email)) == 1


async def test_a_worker_for_some_tenants_leaves_the_others_alone(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    await emit_one(runtime, tenant.id)
    await emit_one(runtime, other_tenant.id)
    waiting = await unpublished(runtime, other_tenant.id)
    assert waiting >= 1
    worker = notifications.Worker(runtime.db, config(), tenants=[tenant.id])
    assert tenant.id in await worker.tenants()
    assert other_tenant.id not in await worker.tenants()
    await worker.run_once()
    assert await unpublished(runtime, tenant.id) == 0
    assert await unpublished(runtime, other_tenant.id) == waiting
    await make_worker(runtime).run_once()  # a worker for every tenant takes the rest
    assert await unpublished(runtime, other_tenant.id) == 0
