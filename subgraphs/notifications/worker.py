"""The notification worker: relays the outbox, sends email and SMS, fires schedules.

Tenancy: the outbox is row-level secured per tenant, and the worker is the application
role, so it works tenant by tenant like everything else (nothing bypasses RLS).
- Woken: a trigger on `shared.outbox_event` NOTIFYs channel `nexo_outbox` with the tenant
  id when events commit; the worker LISTENs on a dedicated connection and relays that
  tenant straight away.
- Polling fallback (missed notifications, retries coming due, a lost connection): every
  `poll_interval` it takes the tenant list from identity's api and asks
  `notifications.tenants_with_work(ids)` (one round trip; the function binds each tenant
  in turn and probes under RLS) which of them have unpublished events or due deliveries.
Several workers may run side by side (in `nexo serve` processes and as `nexo worker`):
batches are claimed with SKIP LOCKED and deliveries are unique per event, recipient and
channel. `stop()` (SIGTERM) lets the current batch or send finish and then returns;
whatever was claimed but not committed is rolled back and relayed again later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import Database, TenantId
from subgraphs.identity import api as identity
from subgraphs.notifications import dispatch, relay, rules, schedules
from subgraphs.notifications.channels import Channels, default_channels
from subgraphs.notifications.config import NotificationsConfig, from_env

log = structlog.get_logger("nexo.notifications")

CHANNEL = "nexo_outbox"
PROBE = text("select t from notifications.tenants_with_work(cast(:ids as uuid[])) as t")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Progress:
    relayed: int = 0
    """Outbox events relayed."""
    attempts: int = 0
    """Email and SMS send attempts (successful or not)."""
    fired: int = 0
    sweeps: int = 0


class Worker:
    def __init__(
        self,
        db: Database,
        config: NotificationsConfig | None = None,
        *,
        channels: Channels | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        tenants: Collection[TenantId] | None = None,
    ) -> None:
        """`tenants`: serve only these (all when None), e.g. a worker per group of
        tenants, or a test that must not send what other tenants' schedules raise."""
        self.db = db
        self.only = frozenset(tenants) if tenants is not None else None
        self.config = config or from_env()
        self.settings = self.config.worker
        self.channels = channels if channels is not None else default_channels(self.config)
        self.clock = clock
        self.progress = Progress()
        self.listening = False
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._dirty: set[TenantId] = set()
        self._installed: set[TenantId] = set()
        self._fired: dict[tuple[TenantId, str], str] = {}
        self._listen_conn: AsyncConnection | None = None

    # --- control ------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            tenant = TenantId(uuid.UUID(payload))
        except ValueError:
            return
        if self.only is None or tenant in self.only:
            self._dirty.add(tenant)
            self._wake.set()

    # --- tenants ------------------------------------------------------------------------

    async def tenants(self) -> list[TenantId]:
        async with self.db.transaction(None, readonly=True) as session:
            ids = await session.scalars(select(identity.Tenant.id).order_by(identity.Tenant.id))
            return [TenantId(i) for i in ids if self.only is None or i in self.only]

    async def tenants_with_work(self, candidates: list[TenantId]) -> set[TenantId]:
        if not candidates:
            return set()
        async with self.db.transaction(None) as session:
            found = await session.scalars(PROBE, {"ids": candidates})
            return {TenantId(t) for t in found}

    # --- one tenant ---------------------------------------------------------------------

    async def relay(self, tenant: TenantId) -> int:
        """Relay the tenant's events, batch after batch (a bounded number per call)."""
        if tenant not in self._installed:
            async with self.db.transaction(tenant) as session:
                await rules.install_defaults(session, tenant)
            self._installed.add(tenant)
        total = 0
        for _ in range(self.settings.rounds_per_tenant):
            if self.stopping:
                break
            async with self.db.transaction(tenant) as session:
                count = await relay.relay_batch(session, tenant, limit=self.settings.batch_size)
            total += count
            if count < self.settings.batch_size:
                break
        else:
            self._dirty.add(tenant)  # more to do: after the other tenants had their turn
        self.progress.relayed += total
        return total

    async def send(self, tenant: TenantId) -> int:
        sent = 0
        while not self.stopping and sent < self.settings.batch_size:
            if not await dispatch.send_one(self.db, tenant, self.channels, self.settings):
                break
            sent += 1
        else:
            if not self.stopping:
                self._dirty.add(tenant)
        self.progress.attempts += sent
        return sent

    async def process(self, tenant: TenantId) -> bool:
        """Relay and send for one tenant; False (logged) when that failed: the tenant is
        tried again at the next sweep, the others go on."""
        try:
            await self.relay(tenant)
            await self.send(tenant)
        except Exception:
            log.exception("notifications.tenant_failed", tenant=str(tenant))
            return False
        return True

    async def fire_schedules(self, tenants: list[TenantId]) -> int:
        """Fire each due schedule once per tenant and period; the number fired now."""
        fired = 0
        for schedule, period in schedules.due(self.clock(), self.settings):
            for tenant in tenants:
                if self.stopping:
                    return fired
                if self._fired.get((tenant, schedule.name)) == period:
                    continue
                async with self.db.transaction(tenant) as session:
                    if raised := await schedules.fire(session, tenant, schedule, period):
                        fired += raised
                        self._dirty.add(tenant)
                self._fired[(tenant, schedule.name)] = period
        self.progress.fired += fired
        return fired

    # --- loops --------------------------------------------------------------------------

    async def run_once(self) -> Progress:
        """Fire due schedules, then relay and send until no tenant has work left (tests,
        and one-shot runs)."""
        before = Progress(**vars(self.progress))
        await self.fire_schedules(await self.tenants())
        failed: set[TenantId] = set()
        while not self.stopping:
            pending = self._dirty | await self.tenants_with_work(await self.tenants())
            self._dirty.clear()
            pending -= failed
            if not pending:
                break
            for tenant in sorted(pending):
                if not await self.process(tenant):
                    failed.add(tenant)
        return Progress(**{k: v - getattr(before, k) for k, v in vars(self.progress).items()})

    async def run(self) -> None:
        """Until `stop()`: woken by NOTIFY, sweeping every `poll_interval` seconds."""
        loop = asyncio.get_running_loop()
        next_sweep = next_schedules = 0.0
        async with self._listening():
            while not self.stopping:
                now = loop.time()
                self._wake.clear()
                pending, self._dirty = self._dirty, set()
                try:
                    if now >= next_schedules or now >= next_sweep:
                        known = await self.tenants()
                        if now >= next_schedules:
                            await self.fire_schedules(known)
                            next_schedules = now + self.settings.schedule_interval
                            pending |= self._dirty
                            self._dirty.clear()
                        if now >= next_sweep:
                            await self._ensure_listening()
                            pending |= await self.tenants_with_work(known)
                            next_sweep = now + self.settings.poll_interval
                            self.progress.sweeps += 1
                except Exception:
                    log.exception("notifications.sweep_failed")
                    next_sweep = now + self.settings.poll_interval
                for tenant in sorted(pending):
                    if self.stopping:
                        break
                    await self.process(tenant)
                if self._dirty or self.stopping:
                    continue
                timeout = max(0.0, min(next_sweep, next_schedules) - loop.time())
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        log.info("notifications.worker_stopped", **vars(self.progress))

    # --- LISTEN ---------------------------------------------------------------------------

    async def _listen(self) -> None:
        conn = await self.db.engine.connect()
        try:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.add_listener(CHANNEL, self._on_notify)  # type: ignore[union-attr]
        except BaseException:
            await conn.invalidate()
            await conn.close()
            raise
        self._listen_conn = conn
        self.listening = True

    async def _unlisten(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        self.listening = False
        if conn is None:
            return
        try:
            await conn.invalidate()  # never hand a LISTENing connection back to the pool
        finally:
            await conn.close()

    async def _ensure_listening(self) -> None:
        conn = self._listen_conn
        if conn is not None:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            if not driver.is_closed():
                return
            await self._unlisten()
        try:
            await self._listen()
        except Exception as exc:
            log.warning("notifications.listen_failed", error=str(exc))

    @asynccontextmanager
    async def _listening(self) -> AsyncIterator[None]:
        await self._ensure_listening()
        try:
            yield
        finally:
            await self._unlisten()


@asynccontextmanager
async def running(
    db: Database, config: NotificationsConfig | None = None, *, grace: float = 30.0
) -> AsyncIterator[Worker]:
    """A worker in the background for the duration of the block (`nexo serve`); on exit it
    is stopped and given `grace` seconds to finish its batch before it is cancelled."""
    worker = Worker(db, config)
    task = asyncio.create_task(worker.run(), name="nexo-notifications-worker")
    try:
        yield worker
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(task, grace)
        except TimeoutError:
            log.warning("notifications.worker_cancelled")
        except Exception:
            log.exception("notifications.worker_failed")


async def run_until_signalled(db: Database, config: NotificationsConfig | None = None) -> None:
    """`nexo worker`: run until SIGTERM or SIGINT, then finish the batch in hand and
    return."""
    worker = Worker(db, config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    try:
        log.info("notifications.worker_started")
        await worker.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
