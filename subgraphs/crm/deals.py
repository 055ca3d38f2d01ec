"""Deals: creating and editing them, moving them through the pipeline and closing them.
Every stage move, win or loss is recorded as a `DealStageChange`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.outbox import emit
from shared.validation import Checks
from subgraphs.crm.customers import active_customer
from subgraphs.crm.events import CrmEvent
from subgraphs.crm.models import Deal, DealStageChange, DealStatus, PipelineStage
from subgraphs.crm.owners import check_owner
from subgraphs.crm.pipeline import ensure_stages


async def _stage(
    session: AsyncSession, tenant: TenantId, checks: Checks, stage_id: uuid.UUID | None
) -> PipelineStage | None:
    """The stage `stageId` names (default: the first), storing the defaults on first use."""
    stages = await ensure_stages(session, tenant)
    if stage_id is None:
        return stages[0]
    found = next((s for s in stages if s.id == stage_id), None)
    if found is None:
        checks.extend(not_found("stageId", "pipeline stage"))
    return found


async def _record(
    session: AsyncSession,
    tenant: TenantId,
    deal: Deal,
    *,
    from_stage: uuid.UUID | None,
    actor: uuid.UUID,
) -> None:
    session.add(
        DealStageChange(
            tenant_id=tenant,
            deal_id=deal.id,
            from_stage_id=from_stage,
            to_stage_id=deal.stage_id,
            status=deal.status,
            changed_by=actor,
        )
    )
    await session.flush()


async def create_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    customer_id: uuid.UUID,
    title: str,
    amount: Decimal,
    currency: str | None = None,
    stage_id: uuid.UUID | None = None,
    probability: int | None = None,
    expected_close_date: dt.date | None = None,
    owner_id: uuid.UUID | None = None,
    lead_id: uuid.UUID | None = None,
) -> Deal:
    c = Checks()
    customer = await active_customer(session, tenant, c, customer_id, "customerId")
    title = c.text("title", title)
    money = c.amount("amount", amount)
    chosen = c.currency("currency", currency) if currency else None
    stage = await _stage(session, tenant, c, stage_id)
    c.range("probability", probability, 0, 100)
    await check_owner(session, tenant, c, owner_id)
    c.raise_any()
    assert customer is not None
    assert stage is not None
    assert money is not None
    deal = Deal(
        tenant_id=tenant,
        customer_id=customer_id,
        title=title,
        amount=money,
        currency=chosen or customer.currency,
        stage_id=stage.id,
        probability=stage.probability if probability is None else probability,
        expected_close_date=expected_close_date,
        owner_id=owner_id or actor,
        status=DealStatus.OPEN,
    )
    session.add(deal)
    await session.flush()
    await _record(session, tenant, deal, from_stage=None, actor=actor)
    await session.refresh(deal)
    metrics.count(session, metrics.DEALS_CREATED)
    return deal


async def _open_deal(session: AsyncSession, tenant: TenantId, deal_id: uuid.UUID) -> Deal:
    deal = await session.get(Deal, (tenant, deal_id))
    if deal is None:
        raise not_found("dealId", "deal")
    if deal.status != DealStatus.OPEN:
        raise InvalidInput.one(
            "dealId", Code.DEAL_CLOSED, f"The deal is already {deal.status.lower()}"
        )
    return deal


async def update_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    deal_id: uuid.UUID,
    title: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    probability: int | None = None,
    expected_close_date: dt.date | None = None,
    owner_id: uuid.UUID | None = None,
) -> Deal:
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = c.text("title", title)
    if amount is not None:
        values["amount"] = c.amount("amount", amount)
    if currency is not None:
        values["currency"] = c.currency("currency", currency)
    if probability is not None:
        values["probability"] = c.range("probability", probability, 0, 100)
    if expected_close_date is not None:
        values["expected_close_date"] = expected_close_date
    if owner_id is not None:
        await check_owner(session, tenant, c, owner_id)
        values["owner_id"] = owner_id
    c.raise_any()
    for key, value in values.items():
        setattr(deal, key, value)
    await session.flush()
    await session.refresh(deal)
    return deal


async def move_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    deal_id: uuid.UUID,
    stage_id: uuid.UUID,
) -> Deal:
    """Moves an open deal; its probability becomes the new stage's default."""
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    stage = await _stage(session, tenant, c, stage_id)
    if stage is not None and stage.id == deal.stage_id:
        c.add("stageId", Code.SAME_STAGE, "The deal is already in this stage")
    c.raise_any()
    assert stage is not None
    previous = deal.stage_id
    deal.stage_id, deal.probability = stage.id, stage.probability
    await _record(session, tenant, deal, from_stage=previous, actor=actor)
    await session.refresh(deal)
    return deal


async def close_deal(
    session: AsyncSession,
    tenant: TenantId,
    *,
    actor: uuid.UUID,
    deal_id: uuid.UUID,
    won: bool,
    reason: str | None = None,
) -> Deal:
    deal = await _open_deal(session, tenant, deal_id)
    c = Checks()
    lost_reason = None if won else c.text("reason", reason or "", limit=1000)
    c.raise_any()
    deal.status = DealStatus.WON if won else DealStatus.LOST
    deal.probability = 100 if won else 0
    deal.lost_reason = lost_reason
    deal.closed_at = dt.datetime.now(dt.UTC)
    await _record(session, tenant, deal, from_stage=deal.stage_id, actor=actor)
    await emit(
        session,
        tenant,
        type=CrmEvent.DEAL_WON if won else CrmEvent.DEAL_LOST,
        aggregate_type="Deal",
        aggregate_id=deal.id,
        payload={
            "customerId": str(deal.customer_id),
            "amount": str(deal.amount),
            "currency": deal.currency,
            "reason": lost_reason,
        },
    )
    await session.refresh(deal)
    metrics.count(session, metrics.DEALS_WON if won else metrics.DEALS_LOST)
    if won:
        currency = metrics.currency(deal.currency)
        metrics.count(session, metrics.DEALS_WON_VALUE, currency, amount=float(deal.amount))
    return deal
