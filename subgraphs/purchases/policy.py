"""The tenant's purchasing policy: the approval threshold (in base currency) above which
confirming an order needs `purchases:approve`, the over-receipt tolerance and the
three-way-match tolerance (percentages). Without a stored row the defaults apply: no
approval needed, no over-receipt, exact match."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.validation import Checks
from subgraphs.identity import api as identity
from subgraphs.purchases.models import PurchasePolicy

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_BASE_CURRENCY = "EUR"


@dataclass(frozen=True, slots=True)
class Policy:
    approval_threshold: Decimal | None
    receipt_tolerance_percent: Decimal
    match_tolerance_percent: Decimal
    base_currency: str


async def base_currency(session: AsyncSession, tenant: TenantId) -> str:
    row = await identity.get_tenant(session, tenant)
    return row.base_currency if row is not None else DEFAULT_BASE_CURRENCY


async def get_policy(session: AsyncSession, tenant: TenantId) -> Policy:
    row = await session.get(PurchasePolicy, tenant)
    base = await base_currency(session, tenant)
    if row is None:
        return Policy(None, ZERO, ZERO, base)
    return Policy(
        row.approval_threshold, row.receipt_tolerance_percent, row.match_tolerance_percent, base
    )


async def set_policy(
    session: AsyncSession,
    tenant: TenantId,
    *,
    approval_threshold: Decimal | None,
    receipt_tolerance_percent: Decimal,
    match_tolerance_percent: Decimal,
) -> Policy:
    """Replace the policy; a null threshold means no order needs approval."""
    checks = Checks()
    threshold = checks.amount("approvalThreshold", approval_threshold)
    for field, value in (
        ("receiptTolerancePercent", receipt_tolerance_percent),
        ("matchTolerancePercent", match_tolerance_percent),
    ):
        checks.decimal_range(field, value, ZERO, HUNDRED)
        checks.precision(field, value, decimals=4)
    checks.raise_any()
    row = await session.get(PurchasePolicy, tenant, with_for_update=True)
    if row is None:
        row = PurchasePolicy(tenant_id=tenant)
        session.add(row)
    row.approval_threshold = threshold
    row.receipt_tolerance_percent = receipt_tolerance_percent
    row.match_tolerance_percent = match_tolerance_percent
    row.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return await get_policy(session, tenant)
