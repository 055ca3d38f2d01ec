"""Token buckets in PostgreSQL, so a limit holds across every router and subgraph replica.

A bucket holds up to `burst` tokens and refills at `per_minute / 60` tokens a second;
taking one is a single upsert that refills, decides and debits atomically on the
bucket's row. A refused take debits nothing and answers how many seconds until it
would succeed: the `retryAfter` of the RATE_LIMITED error, which the HTTP layers turn
into a `Retry-After` header.

Row-level security: a bucket of a tenant (its users, the tenant as a whole) lives under
that tenant's id like any tenant row. Buckets that exist before anyone is authenticated
(a source address, an account at login) live under `PLATFORM`, the nil UUID, which no
tenant can have (`ck_tenant_not_platform`): the same forced policy keeps tenants out of
it, and only code that binds `PLATFORM` on purpose reaches it. Under Citus the table is
distributed by `tenant_id` like the others; the platform partition is one shard.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, Float, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.auth import Principal
from shared.db import Base, Database, TenantId
from shared.errors import RateLimited
from shared.internal_auth import retry_after_header as retry_after_header

if TYPE_CHECKING:
    from shared.context import Runtime

PLATFORM = TenantId(uuid.UUID(int=0))
"""The partition of rows that belong to no tenant (pre-authentication buckets)."""


class RateLimitBucket(Base):
    __tablename__ = "rate_limit_bucket"
    __table_args__ = ({"schema": "shared"},)

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    allowed: Mapped[bool] = mapped_column(Boolean)
    """Whether the last take succeeded (what the upsert answers with)."""
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


@dataclass(frozen=True, slots=True)
class Limit:
    per_minute: float
    burst: float

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0


_REFILLED = (
    "least(cast(:burst as float8), b.tokens"
    " + extract(epoch from clock_timestamp() - b.updated_at)::float8 * cast(:rate as float8))"
)
_TAKE = text(
    f"""
    insert into shared.rate_limit_bucket as b (tenant_id, key, tokens, allowed, updated_at)
    values (:tenant, :key, cast(:burst as float8) - cast(:cost as float8), true,
            clock_timestamp())
    on conflict (tenant_id, key) do update set
      tokens = case when {_REFILLED} >= cast(:cost as float8)
                    then {_REFILLED} - cast(:cost as float8) else {_REFILLED} end,
      allowed = {_REFILLED} >= cast(:cost as float8),
      updated_at = clock_timestamp()
    returning tokens, allowed
    """  # noqa: S608 (a constant, no input)
)


async def take(
    db: Database, tenant: TenantId, key: str, limit: Limit, *, cost: float = 1.0
) -> float:
    """Take `cost` tokens from the bucket: 0.0 when allowed, else the seconds to wait."""
    async with db.transaction(tenant) as session:
        row = (await session.execute(_TAKE, _params(tenant, key, limit, cost))).one()
    return _wait(row, limit, cost)


def _params(tenant: TenantId, key: str, limit: Limit, cost: float = 1.0) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "key": key[:200],
        "burst": float(limit.burst),
        "rate": limit.rate,
        "cost": float(cost),
    }


def _wait(row: Any, limit: Limit, cost: float) -> float:
    if row.allowed:
        return 0.0
    return max((cost - float(row.tokens)) / limit.rate, 0.001) if limit.rate > 0 else 3600.0


def retry_after(seconds: float) -> int:
    """Whole seconds for `Retry-After`: never 0 for a refusal."""
    return max(1, math.ceil(seconds))


async def enforce(
    db: Database,
    tenant: TenantId,
    key: str,
    limit: Limit,
    *,
    what: str = "requests",
    cost: float = 1.0,
) -> None:
    """`take`, raising RATE_LIMITED with `retryAfter` (seconds) when refused."""
    wait = await take(db, tenant, key, limit, cost=cost)
    if wait > 0:
        seconds = retry_after(wait)
        raise RateLimited(f"Too many {what}; retry in {seconds} s", retryAfter=seconds)


# --- the general limit on subgraph requests ---------------------------------------------


async def limit_request(runtime: Runtime, principal: Principal | None) -> RateLimited | None:
    """The request's charge against its user's and its tenant's buckets
    (`NEXO_RATE_LIMIT` a minute per user, ten times that per tenant): the error that
    refuses it, or None. Anonymous requests are limited where they can do harm (login,
    refresh, sign-up, invitations, the token endpoint)."""
    per_minute = runtime.settings.rate_limit
    if principal is None or per_minute is None:
        return None
    user = Limit(per_minute, per_minute)
    tenant = Limit(per_minute * 10, per_minute * 10)
    waits = []
    async with runtime.db.transaction(principal.tenant_id) as session:
        for key, limit in ((f"user:{principal.user_id}", user), ("tenant", tenant)):
            row = (await session.execute(_TAKE, _params(principal.tenant_id, key, limit))).one()
            waits.append(_wait(row, limit, 1.0))
    wait = max(waits)
    if wait <= 0:
        return None
    seconds = retry_after(wait)
    return RateLimited(f"Too many requests; retry in {seconds} s", retryAfter=seconds)
