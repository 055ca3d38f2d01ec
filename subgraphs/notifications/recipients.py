"""Who a rule addresses: users by role or by id (active ones, through identity's api) and
the customer contact of the document the event is about."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from shared.pagination import MAX_PAGE_SIZE
from subgraphs.identity import api as identity
from subgraphs.notifications.contacts import CustomerContact
from subgraphs.notifications.models import Rule


@dataclass(frozen=True, slots=True)
class Recipient:
    key: str
    """`user:<id>` or `contact:<id>`."""
    name: str
    email: str | None
    phone: str | None = None
    user_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


def of_user(user: identity.User) -> Recipient:
    return Recipient(key=f"user:{user.id}", name=user.name, email=user.email, user_id=user.id)


def of_contact(contact: CustomerContact) -> Recipient:
    return Recipient(
        key=f"contact:{contact.id}",
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        contact_id=contact.id,
    )


@dataclass
class Directory:
    """Recipient look-ups for one batch (one tenant, one transaction), cached."""

    session: AsyncSession
    tenant: TenantId
    _by_role: dict[str, list[Recipient]] = field(default_factory=dict)
    _by_id: dict[uuid.UUID, Recipient | None] = field(default_factory=dict)

    async def with_role(self, role: str) -> list[Recipient]:
        if role not in self._by_role:
            found: list[Recipient] = []
            after: str | None = None
            while True:
                page = await identity.list_users(
                    self.session,
                    self.tenant,
                    filter=identity.UserFilter(role=role, active=True),
                    first=MAX_PAGE_SIZE,
                    after=after,
                )
                found.extend(of_user(u) for u in page.rows)
                if not page.has_next_page or not page.cursors:
                    break
                after = page.cursors[-1]
            self._by_role[role] = found
        return self._by_role[role]

    async def users(self, ids: list[uuid.UUID]) -> list[Recipient]:
        missing = [i for i in ids if i not in self._by_id]
        if missing:
            found = await identity.users_by_id(self.session, self.tenant, missing)
            for i in missing:
                user = found.get(i)
                self._by_id[i] = of_user(user) if user is not None and user.active else None
        return [r for i in ids if (r := self._by_id[i]) is not None]

    async def for_rule(self, rule: Rule, contact: CustomerContact | None) -> list[Recipient]:
        """Each addressed person once: role members, named users, then the contact."""
        chosen: dict[str, Recipient] = {}
        for role in rule.roles:
            for r in await self.with_role(role):
                chosen.setdefault(r.key, r)
        for r in await self.users(list(rule.user_ids)):
            chosen.setdefault(r.key, r)
        if rule.customer_contact and contact is not None:
            r = of_contact(contact)
            chosen.setdefault(r.key, r)
        return list(chosen.values())
