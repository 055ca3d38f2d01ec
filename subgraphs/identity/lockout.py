"""Login lock-out that an attacker cannot aim at someone else.

Failures are counted per (account, source address), per account and per source, in
`identity.login_throttle` (global, keyed by hashes, so it tells nothing about which
accounts exist), each over a 15-minute window:

- `account+source`: 10 failures lock that account from that address only: guessing
  from one address does not lock the owner out from another.
- `account`: 50 failures (from many addresses) lock the account for addresses it has
  not logged in from in the last 30 days; where the owner did log in keeps working.
- `source`: 100 failures lock the address for every account (password spraying).

Every lock-out is recorded in `identity.lockout_event` under the account's tenant (with
the email) or, for an unknown tenant, under the platform partition (without it).
Requests that come with no known address (in-process callers) count as one source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.db import Database, TenantId
from shared.errors import RateLimited
from shared.ratelimit import PLATFORM, retry_after
from subgraphs.identity.models import LockoutEvent, LoginThrottle

WINDOW = dt.timedelta(minutes=15)
COOL_OFF = dt.timedelta(minutes=15)
KNOWN_SOURCE = dt.timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    threshold: int


PAIR = Scope("account+source", 10)
ACCOUNT = Scope("account", 50)
SOURCE = Scope("source", 100)
MAX_FAILURES = PAIR.threshold


@dataclass(frozen=True, slots=True)
class Attempt:
    tenant_slug: str
    email: str
    source: str

    def _hash(self, *parts: str) -> str:
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    @property
    def account(self) -> tuple[str, str]:
        return self.tenant_slug.strip().lower(), self.email.strip().lower()

    def key(self, scope: Scope) -> str:
        if scope is PAIR:
            return self._hash(*self.account, self.source)
        if scope is ACCOUNT:
            # The pre-lock-out key format, so counts survive the upgrade.
            return self._hash(*self.account)
        return self._hash("source", self.source)


async def check(session: AsyncSession, attempt: Attempt) -> None:
    """RATE_LIMITED when a lock applies to this attempt."""
    keys = {scope: attempt.key(scope) for scope in (PAIR, ACCOUNT, SOURCE)}
    rows = {
        r.key_hash: r
        for r in await session.scalars(
            select(LoginThrottle).where(LoginThrottle.key_hash.in_(keys.values()))
        )
    }
    now = dt.datetime.now(dt.UTC)
    pair = rows.get(keys[PAIR])
    known = (
        pair is not None
        and pair.last_success_at is not None
        and (pair.last_success_at > now - KNOWN_SOURCE)
    )
    for scope in (PAIR, SOURCE, ACCOUNT):
        row = rows.get(keys[scope])
        if row is None or row.locked_until is None or row.locked_until <= now:
            continue
        if scope is ACCOUNT and known:
            continue
        metrics.LOGINS.labels("locked").inc()
        raise RateLimited(
            "Too many failed logins; try again later",
            retryAfter=retry_after((row.locked_until - now).total_seconds()),
            lockedUntil=row.locked_until.isoformat(),
        )


async def failed(
    db: Database, attempt: Attempt, *, tenant: TenantId | None, email_known: bool
) -> None:
    """Count the failure under each scope; audit every lock it sets off."""
    now = func.now()
    locked: list[tuple[Scope, dt.datetime]] = []
    async with db.transaction(None) as session:
        for scope in (PAIR, ACCOUNT, SOURCE):
            fresh = LoginThrottle.window_started_at < now - WINDOW
            failures = case((fresh, 1), else_=LoginThrottle.failures + 1)
            insert_row = insert(LoginThrottle).values(
                key_hash=attempt.key(scope), failures=1, window_started_at=now, locked_until=None
            )
            stmt = insert_row.on_conflict_do_update(
                index_elements=[LoginThrottle.key_hash],
                set_={
                    "failures": failures,
                    "window_started_at": case((fresh, now), else_=LoginThrottle.window_started_at),
                    "locked_until": case(
                        (failures >= scope.threshold, now + COOL_OFF),
                        else_=LoginThrottle.locked_until,
                    ),
                },
            ).returning(LoginThrottle.failures, LoginThrottle.locked_until)
            row = (await session.execute(stmt)).one()
            if row.failures == scope.threshold and row.locked_until is not None:
                locked.append((scope, row.locked_until))
    if locked:
        async with db.transaction(tenant or PLATFORM) as session:
            session.add_all(
                LockoutEvent(
                    tenant_id=tenant or PLATFORM,
                    scope=scope.name,
                    email=attempt.email.strip().lower() if tenant and email_known else None,
                    source=attempt.source[:64],
                    locked_until=until,
                )
                for scope, until in locked
            )


async def succeeded(session: AsyncSession, attempt: Attempt) -> None:
    """The pair's count starts over and its source becomes known for the account."""
    stmt = insert(LoginThrottle).values(
        key_hash=attempt.key(PAIR),
        failures=0,
        window_started_at=func.now(),
        locked_until=None,
        last_success_at=func.now(),
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.key_hash],
            set_={"failures": 0, "locked_until": None, "last_success_at": func.now()},
        )
    )


async def recent_events(
    session: AsyncSession, tenant: TenantId, *, limit: int
) -> list[LockoutEvent]:
    rows = await session.scalars(
        select(LockoutEvent)
        .where(LockoutEvent.tenant_id == tenant)
        .order_by(LockoutEvent.occurred_at.desc(), LockoutEvent.id)
        .limit(limit)
    )
    return list(rows.all())


__all__ = ["MAX_FAILURES", "Attempt", "check", "failed", "recent_events", "succeeded"]
