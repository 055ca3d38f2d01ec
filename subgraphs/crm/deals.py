"""Deals: creating, editing, moving through the pipeline and closing them; the pipeline's
figures and the CRM's period stats."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.errors import InvalidInput
from shared.outbox import emit
from shared.pagination import Page, paginate
from subgraphs.crm.checks import Checks, by_id, check_owner, get_row, sort_key
from subgraphs.crm.models import Deal, DealStageChange, Lead, PipelineStage
from subgraphs.crm.pipeline import pipeline_stages
from subgraphs.crm.service import active_customer

OPEN, WON, LOST = "OPEN", "WON", "LOST"


async def _stage(
    session: AsyncSession, tenant: TenantId, checks: Checks, stage_id: uuid.UUID | None, field: str
) -> PipelineStage | None:
    stages = await pipeline_stages(session, tenant)
    if stage_id is None:
        return stages[0]
    found = next((s for s in stages if s.id == stage_id), None)
    if found is None:
        checks.add(field, "NOT_FOUND", "No pipeline stage with this id")
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
    customer = await active_customer(session, tenant, c, customer_id, "input.customerId")
    title = c.text("input.title", title)
    money = c.money("input.amount", amount)
    cur = (
        c.currency("input.currency", currency)
        if currency
        else (customer.currency if customer else "EUR")
    )
    stage = await _stage(session, tenant, c, stage_id, "input.stageId")
    c.range("input.probability", probability, 0, 100)
    await check_owner(session, tenant, c, owner_id)
    c.raise_any()
    assert stage is not None
    assert money is not None
    deal = Deal(
        tenant_id=tenant,
        customer_id=customer_id,
        title=title,
        amount=money,
        currency=cur,
        stage_id=stage.id,
        probability=stage.probability if probability is None else probability,
        expected_close_date=expected_close_date,
        owner_id=owner_id or actor,
        status=OPEN,
    )
    session.add(deal)
    await session.flush()
    await _record(session, tenant, deal, from_stage=None, actor=actor)
    await session.refresh(deal)
    return deal


async def _open_deal(session: AsyncSession, tenant: TenantId, deal_id: uuid.UUID) -> Deal:
    deal = await get_row(session, Deal, tenant, deal_id)
    if deal.status != OPEN:
        raise InvalidInput.one(
            "input.id", "DEAL_CLOSED", f"The deal is already {deal.status.lower()}"
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
        values["title"] = c.text("input.title", title)
    if amount is not None:
        values["amount"] = c.money("input.amount", amount)
    if currency is not None:
        values["currency"] = c.currency("input.currency", currency)
    if probability is not None:
        values["probability"] = c.range("input.probability", probability, 0, 100)
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
    stage = await _stage(session, tenant, c, stage_id, "input.stageId")
    if stage is not None and stage.id == deal.stage_id:
        c.add("input.stageId", "SAME_STAGE", "The deal is already in this stage")
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
    lost_reason = None if won else c.text("input.reason", reason or "", limit=1000)
    c.raise_any()
    deal.status = WON if won else LOST
    deal.probability = 100 if won else 0
    deal.lost_reason = lost_reason
    deal.closed_at = dt.datetime.now(dt.UTC)
    await _record(session, tenant, deal, from_stage=deal.stage_id, actor=actor)
    await emit(
        session,
        tenant,
        type="deal.won" if won else "deal.lost",
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
    return deal


async def deals_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Deal]:
    rows = await session.scalars(select(Deal).where(Deal.tenant_id == tenant, Deal.id.in_(ids)))
    return by_id(rows.all())


async def deals_by_customer(
    session: AsyncSession, tenant: TenantId, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Deal]]:
    rows = await session.scalars(
        select(Deal)
        .where(Deal.tenant_id == tenant, Deal.customer_id.in_(customer_ids))
        .order_by(Deal.created_at.desc(), Deal.id)
    )
    found: dict[uuid.UUID, list[Deal]] = {}
    for row in rows:
        found.setdefault(row.customer_id, []).append(row)
    return found


async def history_by_deal(
    session: AsyncSession, tenant: TenantId, deal_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DealStageChange]]:
    rows = await session.scalars(
        select(DealStageChange)
        .where(DealStageChange.tenant_id == tenant, DealStageChange.deal_id.in_(deal_ids))
        .order_by(DealStageChange.changed_at, DealStageChange.id)
    )
    found: dict[uuid.UUID, list[DealStageChange]] = {}
    for row in rows:
        found.setdefault(row.deal_id, []).append(row)
    return found


@dataclass(frozen=True, slots=True)
class DealFilter:
    search: str | None = None
    status: str | None = None
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


DEAL_ORDER = {"CREATED_AT": Deal.created_at, "AMOUNT": Deal.amount, "TITLE": Deal.title}


async def list_deals(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: DealFilter,
    order_by: str = "CREATED_AT",
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Deal]:
    stmt: Select[Any] = select(Deal).where(Deal.tenant_id == tenant)
    if filter.search and filter.search.strip():
        stmt = stmt.where(Deal.title.ilike(f"%{filter.search.strip()}%"))
    for column, value in (
        (Deal.status, filter.status),
        (Deal.stage_id, filter.stage_id),
        (Deal.owner_id, filter.owner_id),
        (Deal.customer_id, filter.customer_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    attr = {"CREATED_AT": "created_at", "AMOUNT": "amount", "TITLE": "title"}[order_by]
    return await paginate(
        session,
        stmt,
        keys=[sort_key(DEAL_ORDER[order_by], descending), sort_key(Deal.id, descending)],
        key_of=lambda d: (getattr(d, attr), d.id),
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage: PipelineStage
    count: int
    amount: Decimal
    weighted_amount: Decimal


async def pipeline(
    session: AsyncSession, tenant: TenantId, *, stages: Sequence[PipelineStage], currency: str
) -> list[StageFigures]:
    """Open deals in `currency` per stage; weighted by each deal's own probability."""
    rows = await session.execute(
        select(
            Deal.stage_id,
            func.count(),
            func.coalesce(func.sum(Deal.amount), 0),
            func.coalesce(func.sum(Deal.amount * Deal.probability / 100), 0),
        )
        .where(Deal.tenant_id == tenant, Deal.status == OPEN, Deal.currency == currency)
        .group_by(Deal.stage_id)
    )
    figures = {r[0]: r for r in rows}
    q = Decimal("0.0001")
    out = []
    for s in stages:
        _, count, amount, weighted = figures.get(s.id, (s.id, 0, Decimal(0), Decimal(0)))
        out.append(
            StageFigures(s, count, Decimal(amount).quantize(q), Decimal(weighted).quantize(q))
        )
    return out


@dataclass(frozen=True, slots=True)
class CrmStats:
    deals_created: int
    deals_won: int
    deals_lost: int
    win_rate: Decimal | None
    leads_created: int
    leads_converted: int
    lead_conversion_rate: Decimal | None


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


async def crm_stats(
    session: AsyncSession, tenant: TenantId, *, start: dt.date, end: dt.date
) -> CrmStats:
    """Figures for the days `start`..`end` inclusive (UTC). Win rate: won / (won + lost)
    closed in the period; conversion rate: leads converted / leads created in the period."""
    if end < start:
        raise InvalidInput.one("to", "INVALID_RANGE", "`to` is before `from`")
    low = dt.datetime.combine(start, dt.time(), dt.UTC)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)

    def within(column: Any) -> Any:
        return (column >= low) & (column < high)

    deals = (
        await session.execute(
            select(
                func.count().filter(within(Deal.created_at)),
                func.count().filter(within(Deal.closed_at), Deal.status == WON),
                func.count().filter(within(Deal.closed_at), Deal.status == LOST),
            ).where(Deal.tenant_id == tenant)
        )
    ).one()
    leads = (
        await session.execute(
            select(
                func.count().filter(within(Lead.created_at)),
                func.count().filter(within(Lead.converted_at)),
            ).where(Lead.tenant_id == tenant)
        )
    ).one()
    created, won, lost = deals
    leads_created, converted = leads
    return CrmStats(
        deals_created=created,
        deals_won=won,
        deals_lost=lost,
        win_rate=_rate(won, won + lost),
        leads_created=leads_created,
        leads_converted=converted,
        lead_conversion_rate=_rate(converted, leads_created),
    )
