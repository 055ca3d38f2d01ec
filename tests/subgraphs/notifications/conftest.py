"""Notifications fixtures: a local SMTP server (aiosmtpd on a loopback port) whose
messages the tests read back, a local HTTP server standing in for an SMS provider, users
of given roles, workers with short intervals, and helpers to emit and count."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.context import Runtime
from shared.db import TenantId
from shared.outbox import OutboxEvent, emit
from subgraphs.identity import api as identity
from subgraphs.notifications import api as notifications
from subgraphs.notifications.models import Delivery, Notification
from tests.conftest import GraphQLClient, TenantHandle

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP -------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: records every accepted message; `failing` answers 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failing = False
        self.attempts = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.failing:
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


# --- SMS provider -----------------------------------------------------------------------


@dataclass
class SmsGateway:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    port = free_port()
    gateway = SmsGateway(url=f"http://127.0.0.1:{port}/messages")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            gateway.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("authorization"),
                    "json": json.loads(self.rfile.read(length) or b"null"),
                }
            )
            self.send_response(gateway.status)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


# --- workers ------------------------------------------------------------------------------


def config(
    smtp: SmtpServer | None = None, sms: SmsGateway | None = None, **worker: Any
) -> notifications.NotificationsConfig:
    settings = {"poll_interval": 0.05, "backoff": 0.0, "max_attempts": 3, **worker}
    return notifications.NotificationsConfig(
        smtp=notifications.SmtpConfig(
            host=smtp.host if smtp else "127.0.0.1",
            port=smtp.port if smtp else free_port(),
            sender="NEXO Test <nexo@example.com>",
            timeout=5,
        ),
        sms=notifications.SmsConfig(url=sms.url if sms else "", token="sms-secret"),
        worker=notifications.WorkerConfig(**settings),
    )


def make_worker(
    runtime: Runtime, smtp: SmtpServer | None = None, sms: SmsGateway | None = None, **kw: Any
) -> notifications.Worker:
    return notifications.Worker(runtime.db, config(smtp, sms, **kw))


# --- people -------------------------------------------------------------------------------


@dataclass
class Person:
    id: uuid.UUID
    email: str
    token: str


async def person(runtime: Runtime, tenant: TenantHandle, role: str) -> Person:
    """A fresh user of `tenant` with `role`, logged in."""
    address = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.transaction(tenant.id) as session:
        user = await identity.create_user(
            session, tenant.id, email=address, name=role.title(), password=PASSWORD, roles=[role]
        )
    async with runtime.db.transaction(None) as session:
        result = await identity.login(
            session,
            runtime.db,
            runtime.settings,
            tenant_slug=tenant.slug,
            email=address,
            password=PASSWORD,
        )
    return Person(user.id, address, result.access_token)


# --- GraphQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
async def _earlier_tests_events_are_out_of_the_way(owner_engine: AsyncEngine) -> None:
    """The suite's database holds every earlier test's tenants and their unrelayed events
    (demo seeds among them: hundreds of invoices, each an email with a PDF). A worker here
    relays every tenant, as in production, so that backlog would be rendered and sent in
    whichever test runs the worker first; it is marked relayed before these tests start.
    What the tests here create themselves is theirs to relay."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update shared.outbox_event set published_at = now() where published_at is null")
        )


@pytest.fixture(scope="session")
def notifications_schema() -> Any:
    from subgraphs.notifications.app import build

    return build()


@pytest.fixture
def gql(runtime: Runtime, notifications_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, notifications_schema)


@pytest.fixture(scope="session")
def sales_schema() -> Any:
    from subgraphs.sales.app import build

    return build()


@pytest.fixture
def sales_gql(runtime: Runtime, sales_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, sales_schema)


async def ok(gql: GraphQLClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    result = await gql(query, variables, token=token)
    assert "errors" not in result, result
    return dict(result["data"])


# --- events and counts ----------------------------------------------------------------------

TEST_EVENT = "test.ping"


async def emit_events(
    runtime: Runtime, tenant: TenantId, count: int, *, type: str = TEST_EVENT
) -> list[uuid.UUID]:
    """`count` events in one transaction (one statement: one NOTIFY per tenant)."""
    async with runtime.db.transaction(tenant) as session:
        rows = [
            OutboxEvent(
                tenant_id=tenant,
                id=uuid.uuid4(),
                type=type,
                aggregate_type="Test",
                aggregate_id=uuid.uuid4(),
                payload={"n": i},
            )
            for i in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        return [r.id for r in rows]


async def emit_one(runtime: Runtime, tenant: TenantId, type: str = TEST_EVENT) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        event = await emit(
            session,
            tenant,
            type=type,
            aggregate_type="Test",
            aggregate_id=uuid.uuid4(),
            payload={"n": 1},
        )
        return event.id


async def scalar(runtime: Runtime, tenant: TenantId, stmt: Any) -> Any:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        return await session.scalar(stmt)


async def unpublished(runtime: Runtime, tenant: TenantId) -> int:
    return int(
        await scalar(
            runtime,
            tenant,
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None)),
        )
    )


async def deliveries(runtime: Runtime, tenant: TenantId, **where: Any) -> list[Delivery]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        stmt = select(Delivery).filter_by(**where).order_by(Delivery.created_at, Delivery.id)
        rows = list((await session.scalars(stmt)).all())
        session.expunge_all()  # keep them loaded past the read-only rollback
        return rows


async def inbox(runtime: Runtime, tenant: TenantId, user_id: uuid.UUID) -> list[Notification]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        stmt = (
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at, Notification.id)
        )
        rows = list((await session.scalars(stmt)).all())
        session.expunge_all()
        return rows


async def ping_rule(
    gql: GraphQLClient,
    token: str,
    users: list[uuid.UUID],
    channels: list[str] | None = None,
    *,
    event_type: str = TEST_EVENT,
) -> str:
    """A rule: `test.ping` (or `event_type`) to these users (in-app unless told)."""
    data = await ok(
        gql,
        token,
        """mutation($input: SaveNotificationRuleInput!) {
             saveNotificationRule(input: $input) { rule { id } errors { field code message } }
           }""",
        input={
            "eventType": event_type,
            "name": "Ping",
            "channels": channels or ["IN_APP"],
            "userIds": [str(u) for u in users],
        },
    )
    payload = data["saveNotificationRule"]
    assert payload["errors"] == [], payload
    return str(payload["rule"]["id"])


async def wait_for(predicate: Any, within: float = 10.0) -> None:
    """Poll an async predicate every 20 ms until it holds (fails after `within` s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
