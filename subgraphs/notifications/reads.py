"""Notifications' reads: the inbox (one user's, or many users' in one statement for
`User.notifications`), unread counts, rules, templates, deliveries and dead letters,
preferences. Queries only: nothing here writes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.db import TenantId
from shared.pagination import Page, SortKey, check_first, decode_cursor, encode_cursor, paginate
from subgraphs.notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    Preference,
    Rule,
    Template,
)

# --- the inbox --------------------------------------------------------------------------


def _inbox(tenant: TenantId, user_ids: Sequence[uuid.UUID], unread: bool | None) -> Select[Any]:
    stmt = select(Notification).where(
        Notification.tenant_id == tenant, Notification.user_id.in_(user_ids)
    )
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt


async def list_notifications(
    session: AsyncSession,
    tenant: TenantId,
    user_id: uuid.UUID,
    *,
    unread: bool | None = None,
    event_type: str | None = None,
    oldest_first: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Notification]:
    """The user's inbox, newest first unless `oldest_first`."""
    stmt = _inbox(tenant, [user_id], unread)
    if event_type:
        stmt = stmt.where(Notification.event_type == event_type)
    desc = not oldest_first
    return await paginate(
        session,
        stmt,
        keys=[SortKey(Notification.created_at, desc), SortKey(Notification.id, desc)],
        key_of=lambda n: (n.created_at, n.id),
        first=first,
        after=after,
    )


async def notifications_by_id(
    session: AsyncSession, tenant: TenantId, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Notification]:
    """The user's own notifications among `ids` (another user's are absent)."""
    rows = await session.scalars(
        select(Notification).where(
            Notification.tenant_id == tenant,
            Notification.user_id == user_id,
            Notification.id.in_(set(ids)),
        )
    )
    return {n.id: n for n in rows}


async def unread_counts(
    session: AsyncSession, tenant: TenantId, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(Notification.user_id, func.count())
        .where(
            Notification.tenant_id == tenant,
            Notification.user_id.in_(set(user_ids)),
            Notification.read_at.is_(None),
        )
        .group_by(Notification.user_id)
    )
    return {user_id: int(count) for user_id, count in rows.all()}


InboxKey = tuple[uuid.UUID, int | None, str | None, bool | None]
"""(user id, first, after, unread): one `User.notifications(...)` field."""


async def inboxes(
    session: AsyncSession, tenant: TenantId, keys: Sequence[InboxKey]
) -> dict[InboxKey, Page[Notification]]:
    """One page of each user's inbox, newest first, in one statement per distinct
    (first, after, unread): `row_number()` over each user's notifications picks the page."""
    groups: dict[tuple[int | None, str | None, bool | None], list[uuid.UUID]] = defaultdict(list)
    for user_id, first, after, unread in keys:
        groups[(first, after, unread)].append(user_id)
    result: dict[InboxKey, Page[Notification]] = {}
    for (first, after, unread), user_ids in groups.items():
        limit = check_first(first)
        counted = _inbox(tenant, user_ids, unread).add_columns(
            func.count().over(partition_by=Notification.user_id).label("total")
        )
        inner = counted.subquery()
        ranked = select(
            inner,
            func.row_number()
            .over(
                partition_by=inner.c.user_id,
                order_by=(inner.c.created_at.desc(), inner.c.id.desc()),
            )
            .label("rn"),
        )
        if after:
            at, last_id = decode_cursor(after, 2)
            ranked = ranked.where(
                or_(inner.c.created_at < at, and_(inner.c.created_at == at, inner.c.id < last_id))
            )
        page = ranked.subquery()
        row = aliased(Notification, page)
        found = await session.execute(
            select(row, page.c.total)
            .where(page.c.rn <= limit + 1)
            .order_by(page.c.user_id, page.c.rn)
        )
        per: dict[uuid.UUID, list[Notification]] = defaultdict(list)
        totals: dict[uuid.UUID, int] = {}
        for n, total in found.all():
            per[n.user_id].append(n)
            totals[n.user_id] = int(total)
        for user_id in user_ids:
            rows = per.get(user_id, [])
            shown = rows[:limit]
            result[(user_id, first, after, unread)] = Page(
                rows=shown,
                cursors=[encode_cursor([n.created_at, n.id]) for n in shown],
                has_next_page=len(rows) > limit,
                has_previous_page=after is not None,
                total_count=totals.get(user_id, 0),
            )
    return result


# --- rules and templates ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleFilter:
    event_type: str | None = None
    enabled: bool | None = None


async def list_rules(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: RuleFilter,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Rule]:
    stmt = select(Rule).where(Rule.tenant_id == tenant)
    if filter.event_type:
        stmt = stmt.where(Rule.event_type == filter.event_type)
    if filter.enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(filter.enabled))
    return await paginate(
        session,
        stmt,
        keys=[
            SortKey(Rule.event_type, descending),
            SortKey(Rule.name, descending),
            SortKey(Rule.id, descending),
        ],
        key_of=lambda r: (r.event_type, r.name, r.id),
        first=first,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class TemplateFilter:
    name: str | None = None
    channel: Channel | None = None
    locale: str | None = None


async def list_templates(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: TemplateFilter,
    descending: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Template]:
    stmt = select(Template).where(Template.tenant_id == tenant)
    for column, value in (
        (Template.name, filter.name),
        (Template.channel, filter.channel),
        (Template.locale, filter.locale),
    ):
        if value:
            stmt = stmt.where(column == value)
    return await paginate(
        session,
        stmt,
        keys=[
            SortKey(Template.name, descending),
            SortKey(Template.channel, descending),
            SortKey(Template.locale, descending),
            SortKey(Template.id, descending),
        ],
        key_of=lambda t: (t.name, t.channel, t.locale, t.id),
        first=first,
        after=after,
    )


# --- deliveries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    state: DeliveryState | None = None
    channel: Channel | None = None
    event_type: str | None = None
    event_id: uuid.UUID | None = None


async def list_deliveries(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: DeliveryFilter,
    oldest_first: bool = False,
    first: int | None,
    after: str | None,
) -> Page[Delivery]:
    stmt = select(Delivery).where(Delivery.tenant_id == tenant)
    for column, value in (
        (Delivery.state, filter.state),
        (Delivery.channel, filter.channel),
        (Delivery.event_type, filter.event_type),
        (Delivery.event_id, filter.event_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    desc = not oldest_first
    return await paginate(
        session,
        stmt,
        keys=[SortKey(Delivery.created_at, desc), SortKey(Delivery.id, desc)],
        key_of=lambda d: (d.created_at, d.id),
        first=first,
        after=after,
    )


async def list_preferences(
    session: AsyncSession,
    tenant: TenantId,
    user_id: uuid.UUID,
    *,
    first: int | None,
    after: str | None,
) -> Page[Preference]:
    stmt = select(Preference).where(Preference.tenant_id == tenant, Preference.user_id == user_id)
    return await paginate(
        session,
        stmt,
        keys=[SortKey(Preference.event_type), SortKey(Preference.channel)],
        key_of=lambda p: (p.event_type, p.channel),
        first=first,
        after=after,
    )
