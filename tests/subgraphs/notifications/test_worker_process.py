"""`nexo worker` as its own process against the test database: it relays and sends,
stops cleanly on SIGTERM, and a process killed between sending and marking sent has its
message sent once more by the next worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.context import Runtime
from subgraphs.notifications.models import DeliveryState
from tests.conftest import GraphQLClient, MigratedDatabase, TenantHandle
from tests.subgraphs.notifications.conftest import (
    SmtpServer,
    deliveries,
    emit_one,
    inbox,
    make_worker,
    person,
    ping_rule,
    unpublished,
    wait_for,
)

pytestmark = pytest.mark.slow


async def start_worker(test_db: MigratedDatabase, smtp: SmtpServer) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": test_db.owner.render_as_string(hide_password=False),
        "NEXO_APP_DATABASE_URL": test_db.app.render_as_string(hide_password=False),
        "NEXO_SMTP_HOST": smtp.host,
        "NEXO_SMTP_PORT": str(smtp.port),
        "NEXO_SMTP_FROM": "NEXO Worker <worker@example.com>",
        "NEXO_NOTIFY_POLL_SECONDS": "0.2",
        "NEXO_NOTIFY_BACKOFF_SECONDS": "0",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nexo",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started: list[asyncio.subprocess.Process] = []
    yield started
    for p in started:
        if p.returncode is None:
            p.kill()
            await p.wait()


async def test_nexo_worker_relays_sends_and_stops_on_sigterm(
    runtime: Runtime,
    gql: GraphQLClient,
    tenant: TenantHandle,
    test_db: MigratedDatabase,
    smtp: SmtpServer,
    processes: list[Any],
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["IN_APP", "EMAIL"])
    worker = await start_worker(test_db, smtp)
    processes.append(worker)
    await emit_one(runtime, tenant.id)

    async def mailed() -> bool:
        return len(smtp.mailbox.to(user.email)) == 1

    await wait_for(mailed, within=60)
    assert len(await inbox(runtime, tenant.id, user.id)) == 1

    worker.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(worker.wait(), 30) == 0
    assert worker.stderr is not None
    assert b"notifications.worker_stopped" in await worker.stderr.read()
    await emit_one(runtime, tenant.id)  # nobody is running now
    await asyncio.sleep(0.5)
    assert await unpublished(runtime, tenant.id) == 1


class Stall:
    """Holds the SMTP reply to DATA for `address` (the message is in) until released."""

    def __init__(self, smtp: SmtpServer, address: str) -> None:
        self.mailbox = smtp.mailbox
        self.received = threading.Event()
        self.release = threading.Event()
        original = self.mailbox.handle_DATA

        async def handle_DATA(server: Any, session: Any, envelope: Any) -> str:
            answer = await original(server, session, envelope)
            if address in envelope.rcpt_tos:  # (other tenants' mail may pass too)
                self.received.set()
                while not self.release.is_set():
                    await asyncio.sleep(0.01)
            return answer

        self.mailbox.handle_DATA = handle_DATA  # type: ignore[method-assign]


async def test_a_worker_process_killed_after_sending_has_the_message_sent_once_more(
    runtime: Runtime,
    gql: GraphQLClient,
    tenant: TenantHandle,
    test_db: MigratedDatabase,
    smtp: SmtpServer,
    processes: list[Any],
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id], channels=["EMAIL"])
    stall = Stall(smtp, user.email)
    worker = await start_worker(test_db, smtp)
    processes.append(worker)
    event = await emit_one(runtime, tenant.id)

    assert await asyncio.to_thread(stall.received.wait, 60)  # the server has the message
    worker.kill()  # SIGKILL before the worker heard "250" and recorded it
    await worker.wait()
    stall.release.set()
    [pending] = await deliveries(runtime, tenant.id, event_id=event)
    assert (pending.state, pending.attempts) == (DeliveryState.PENDING, 0)

    for _ in range(2):
        await make_worker(runtime, smtp).run_once()

    mails = smtp.mailbox.to(user.email)
    assert len(mails) == 2
    assert {m["X-Nexo-Delivery"] for m in mails} == {str(pending.id)}
    [sent] = await deliveries(runtime, tenant.id, event_id=event)
    assert (sent.state, sent.attempts) == (DeliveryState.SENT, 1)
