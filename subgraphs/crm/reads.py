"""CRM's reads: the lists, the pipeline's figures and the period stats, and the batch
look-ups dataloaders need beyond `shared.batch`. Queries only: nothing here writes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import search
from shared.db import TenantId
from shared.errors import BadUserInput
from shared.pagination import Page, SortKey, paginate
from shared.validation import search_term
from subgraphs.crm.models import (
    Activity,
    Contact,
    Customer,
    Deal,
    DealStatus,
    Lead,
    PipelineStage,
    tax_key,
)
from subgraphs.crm.pipeline import default_stages, stored_stages
from subgraphs.identity import api as identity

_FOUR_PLACES = Decimal("0.0001")

# --- customers and contacts ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    tags: Sequence[str] = ()


def customers_query(tenant: TenantId, f: CustomerFilter) -> Select[Any]:
    """Search finds every word in the name or legal name (`shared.search`), or is a
    case-insensitive prefix of the email or tax id; each branch is an index range scan."""
    stmt = select(Customer).where(Customer.tenant_id == tenant)
    term = search_term(f.search)
    if term:
        by_key = select(Customer.id).where(Customer.tenant_id == tenant)
        also = [by_key.where(search.starts_with(Customer.email_key, term.lower()))]
        if tax := tax_key(term):
            also.append(by_key.where(search.starts_with(Customer.tax_key, tax)))
        stmt = stmt.where(
            search.matches(Customer.id, search.SearchKind.CUSTOMER, tenant, term, *also)
        )
    if f.status:
        stmt = stmt.where(Customer.status == f.status)
    if f.owner_id:
        stmt = stmt.where(Customer.owner_id == f.owner_id)
    wanted = sorted({t.strip().lower() for t in f.tags if t.strip()})  # stored as tags()
    if wanted:
        stmt = stmt.where(Customer.tags.contains(wanted))
    return stmt


CUSTOMER_ORDER = {"NAME": Customer.name_key, "CREATED_AT": Customer.created_at}


async def list_customers(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: CustomerFilter,
    order_by: str = "NAME",
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Customer]:
    return await paginate(
        session,
        customers_query(tenant, filter),
        keys=[SortKey(CUSTOMER_ORDER[order_by], descending), SortKey(Customer.id, descending)],
        key_of=lambda c: (c.name_key if order_by == "NAME" else c.created_at, c.id),
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class ContactFilter:
    search: str | None = None
    customer_id: uuid.UUID | None = None


async def list_contacts(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ContactFilter,
    first: int | None,
    after: str | None,
) -> Page[Contact]:
    stmt: Select[Any] = select(Contact).where(Contact.tenant_id == tenant)
    if filter.search and filter.search.strip():
        pattern = f"%{filter.search.strip()}%"
        stmt = stmt.where(or_(Contact.name.ilike(pattern), Contact.email.ilike(pattern)))
    if filter.customer_id:
        stmt = stmt.where(Contact.customer_id == filter.customer_id)
    return await paginate(
        session,
        stmt,
        keys=[SortKey(Contact.name), SortKey(Contact.id)],
        key_of=lambda r: (r.name, r.id),
        first=first,
        after=after,
    )


# --- leads and deals ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadFilter:
    search: str | None = None
    status: str | None = None
    source: str | None = None
    owner_id: uuid.UUID | None = None


LEAD_ORDER = {"CREATED_AT": Lead.created_at, "NAME": Lead.name}


async def list_leads(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: LeadFilter,
    order_by: str = "CREATED_AT",
    descending: bool = True,
    first: int | None,
    after: str | None,
) -> Page[Lead]:
    stmt: Select[Any] = select(Lead).where(Lead.tenant_id == tenant)
    if filter.search and filter.search.strip():
        p = f"%{filter.search.strip()}%"
        stmt = stmt.where(or_(Lead.name.ilike(p), Lead.email.ilike(p), Lead.company_name.ilike(p)))
    for column, value in (
        (Lead.status, filter.status),
        (Lead.source, filter.source),
        (Lead.owner_id, filter.owner_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    attr = {"CREATED_AT": "created_at", "NAME": "name"}[order_by]
    return await paginate(
        session,
        stmt,
        keys=[SortKey(LEAD_ORDER[order_by], descending), SortKey(Lead.id, descending)],
        key_of=lambda r: (getattr(r, attr), r.id),
        first=first,
        after=after,
    )


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
        keys=[SortKey(DEAL_ORDER[order_by], descending), SortKey(Deal.id, descending)],
        key_of=lambda d: (getattr(d, attr), d.id),
        first=first,
        after=after,
    )


# --- activities ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    overdue: bool | None = None
    done: bool | None = None
    type: str | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None


def overdue_condition() -> Any:
    return (Activity.done.is_(False)) & (Activity.due_at < func.now())


async def list_activities(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: ActivityFilter,
    first: int | None,
    after: str | None,
) -> Page[Activity]:
    """`overdue`: not done and due before now."""
    stmt: Select[Any] = select(Activity).where(Activity.tenant_id == tenant)
    if filter.overdue is not None:
        cond = overdue_condition()
        stmt = stmt.where(cond if filter.overdue else ~cond | Activity.due_at.is_(None))
    for column, value in (
        (Activity.done, filter.done),
        (Activity.type, filter.type),
        (Activity.customer_id, filter.customer_id),
        (Activity.contact_id, filter.contact_id),
        (Activity.deal_id, filter.deal_id),
        (Activity.lead_id, filter.lead_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return await paginate(
        session,
        stmt,
        keys=[SortKey(Activity.created_at), SortKey(Activity.id)],
        key_of=lambda r: (r.created_at, r.id),
        first=first,
        after=after,
    )


# --- the pipeline and the period stats ----------------------------------------------


async def pipeline_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    """The tenant's stages in order: the stored ones, or the defaults (computed, not
    stored) while it has none yet."""
    return await stored_stages(session, tenant) or default_stages(tenant)


@dataclass(frozen=True, slots=True)
class StageFigures:
    stage: PipelineStage
    count: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True, slots=True)
class PipelineFigures:
    currency: str
    stages: list[StageFigures]


async def pipeline(session: AsyncSession, tenant: TenantId, *, currency: str) -> PipelineFigures:
    """Open deals in `currency` per stage; weighted by each deal's own probability."""
    currency = currency.upper()
    stages = await pipeline_stages(session, tenant)
    rows = await session.execute(
        select(
            Deal.stage_id,
            func.count(),
            func.coalesce(func.sum(Deal.amount), 0),
            func.coalesce(func.sum(Deal.amount * Deal.probability / 100), 0),
        )
        .where(Deal.tenant_id == tenant, Deal.status == DealStatus.OPEN, Deal.currency == currency)
        .group_by(Deal.stage_id)
    )
    figures = {r[0]: r for r in rows}
    out = []
    for s in stages:
        _, count, amount, weighted = figures.get(s.id, (s.id, 0, Decimal(0), Decimal(0)))
        out.append(
            StageFigures(
                s,
                count,
                Decimal(amount).quantize(_FOUR_PLACES),
                Decimal(weighted).quantize(_FOUR_PLACES),
            )
        )
    return PipelineFigures(currency, out)


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
    return (Decimal(part) / Decimal(whole)).quantize(_FOUR_PLACES) if whole else None


async def crm_stats(
    session: AsyncSession, tenant: TenantId, *, start: dt.date, end: dt.date
) -> CrmStats:
    """Figures for the days `start`..`end` inclusive (UTC). Win rate: won / (won + lost)
    closed in the period; conversion rate: leads converted / leads created in the period.
    A period ending before it starts is a BAD_USER_INPUT on the argument `to`."""
    if end < start:
        raise BadUserInput("`to` is before `from`", argument="to")
    low = dt.datetime.combine(start, dt.time(), dt.UTC)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)

    def within(column: Any) -> Any:
        return (column >= low) & (column < high)

    deals = (
        await session.execute(
            select(
                func.count().filter(within(Deal.created_at)),
                func.count().filter(within(Deal.closed_at), Deal.status == DealStatus.WON),
                func.count().filter(within(Deal.closed_at), Deal.status == DealStatus.LOST),
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


# --- batch look-ups -----------------------------------------------------------------


async def base_currencies(
    session: AsyncSession, tenant: TenantId, tenant_ids: Sequence[TenantId]
) -> dict[TenantId, str]:
    """The caller's tenant's base currency (from identity), keyed by the tenant's id; no
    other tenant's is ever answered."""
    if tenant not in tenant_ids:
        return {}
    row = await identity.get_tenant(session, tenant)
    return {} if row is None else {tenant: row.base_currency}


# --- reminders ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueActivity:
    id: uuid.UUID
    type: str
    subject: str
    due_at: dt.datetime
    owner_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    deal_id: uuid.UUID | None


async def activities_due(session: AsyncSession, tenant: TenantId, on: dt.date) -> list[DueActivity]:
    """Activities not done that fall due on `on` (a UTC day), earliest first: what the
    notifications schedule reminds of in the morning (one indexed range on `due_at`)."""
    start = dt.datetime.combine(on, dt.time(), tzinfo=dt.UTC)
    rows = await session.scalars(
        select(Activity)
        .where(
            Activity.tenant_id == tenant,
            Activity.done.is_(False),
            Activity.due_at >= start,
            Activity.due_at < start + dt.timedelta(days=1),
        )
        .order_by(Activity.due_at, Activity.id)
    )
    return [
        DueActivity(
            id=a.id,
            type=a.type,
            subject=a.subject,
            due_at=a.due_at,
            owner_id=a.owner_id,
            customer_id=a.customer_id,
            deal_id=a.deal_id,
        )
        for a in rows.all()
        if a.due_at is not None
    ]
