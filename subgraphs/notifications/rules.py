"""Rules: per tenant, which recipients of an event type get which channels with which
template. Every tenant gets the shipped defaults (`catalog.DEFAULT_RULES`), installed
idempotently by the worker and the demo seed; a built-in rule may be changed or disabled,
not deleted, so a later install never brings back one the tenant turned off."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.identity import api as identity
from subgraphs.notifications import catalog
from subgraphs.notifications.models import Channel, Rule
from subgraphs.notifications.templates import LOCALE, NAME
from subgraphs.notifications.text import text

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
MAX_ROLES = 20
MAX_USERS = 100


@dataclass(frozen=True, slots=True)
class RuleFields:
    event_type: str
    name: str
    channels: Sequence[Channel]
    roles: Sequence[str] = ()
    user_ids: Sequence[uuid.UUID] = ()
    customer_contact: bool = False
    template: str | None = None
    """The template name; None: the event type."""
    locale: str = catalog.DEFAULT_LOCALE
    attach_document: bool = False
    enabled: bool = True


async def install_defaults(session: AsyncSession, tenant: TenantId) -> int:
    """Add the shipped rules the tenant does not have yet; the number added."""
    rows = [
        {
            "tenant_id": tenant,
            "id": uuid.uuid4(),
            "builtin_key": d.key,
            "event_type": d.event_type,
            "name": d.name,
            "roles": list(d.roles),
            "customer_contact": d.customer_contact,
            "channels": [str(c) for c in d.channels],
            "template": d.template_name,
            "attach_document": d.attach_document,
        }
        for d in catalog.DEFAULT_RULES
    ]
    added = await session.scalars(
        insert(Rule)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "builtin_key"])
        .returning(Rule.id)
    )
    return len(added.all())


async def _check(session: AsyncSession, tenant: TenantId, fields: RuleFields) -> RuleFields:
    checks = Checks()
    event_type = text(checks, "eventType", fields.event_type, limit=100)
    if event_type and not EVENT_TYPE.match(event_type):
        checks.add("eventType", Code.INVALID, "An event type such as stock.low")
    name = text(checks, "name", fields.name, limit=200)
    channels = list(dict.fromkeys(fields.channels))
    if not channels:
        checks.add("channels", Code.REQUIRED, "Choose at least one channel")
    template = fields.template
    if template is not None:
        template = text(checks, "template", template, limit=100)
        if template and not NAME.match(template):
            checks.add("template", Code.INVALID, "A template name such as stock.low/customer")
    locale = text(checks, "locale", fields.locale, limit=16)
    if locale and not LOCALE.match(locale):
        checks.add("locale", Code.INVALID, "A language such as en or de-AT")
    roles = list(dict.fromkeys(r.strip() for r in fields.roles))
    users = list(dict.fromkeys(fields.user_ids))
    if len(roles) > MAX_ROLES:
        checks.add("roles", Code.TOO_MANY, f"At most {MAX_ROLES} roles")
    elif roles:
        known = {r.name for r in await identity.list_roles(session, tenant)}
        for i, role in enumerate(roles):
            if role not in known:
                checks.add(f"roles.{i}", Code.UNKNOWN_ROLE, "No role with this name")
    if len(users) > MAX_USERS:
        checks.add("userIds", Code.TOO_MANY, f"At most {MAX_USERS} users")
    elif users:
        found = await identity.users_by_id(session, tenant, users)
        for i, user_id in enumerate(users):
            if user_id not in found:
                checks.extend(not_found(f"userIds.{i}", "user"))
    if not roles and not users and not fields.customer_contact:
        checks.add(
            "roles", Code.REQUIRED, "Name a recipient: a role, a user or the customer contact"
        )
    checks.raise_any()
    return RuleFields(
        event_type=event_type,
        name=name,
        channels=channels,
        roles=roles,
        user_ids=users,
        customer_contact=fields.customer_contact,
        template=template or event_type,
        locale=locale,
        attach_document=fields.attach_document,
        enabled=fields.enabled,
    )


async def save_rule(
    session: AsyncSession, tenant: TenantId, *, rule_id: uuid.UUID | None, fields: RuleFields
) -> Rule:
    """Create a rule (no `rule_id`) or replace an existing rule's fields."""
    rule: Rule | None = None
    if rule_id is not None:
        rule = await session.get(Rule, (tenant, rule_id), with_for_update=True)
        if rule is None:
            raise not_found("ruleId", "notification rule")
    clean = await _check(session, tenant, fields)
    if rule is None:
        rule = Rule(tenant_id=tenant, id=uuid.uuid4())
        session.add(rule)
    rule.event_type = clean.event_type
    rule.name = clean.name
    rule.channels = [str(c) for c in clean.channels]
    rule.roles = list(clean.roles)
    rule.user_ids = list(clean.user_ids)
    rule.customer_contact = clean.customer_contact
    rule.template = clean.template or clean.event_type
    rule.locale = clean.locale
    rule.attach_document = clean.attach_document
    rule.enabled = clean.enabled
    await session.flush()
    await session.refresh(rule)
    return rule


async def delete_rule(session: AsyncSession, tenant: TenantId, rule_id: uuid.UUID) -> Rule:
    rule = await session.get(Rule, (tenant, rule_id))
    if rule is None:
        raise not_found("ruleId", "notification rule")
    if rule.builtin_key is not None:
        raise InvalidInput.one(
            "ruleId", Code.INVALID_STATE, "A built-in rule can be disabled, not deleted"
        )
    await session.delete(rule)
    await session.flush()
    return rule


async def rules_for(
    session: AsyncSession, tenant: TenantId, event_types: Sequence[str]
) -> dict[str, list[Rule]]:
    """The enabled rules of each event type, oldest first."""
    if not event_types:
        return {}
    rows = await session.scalars(
        select(Rule)
        .where(
            Rule.tenant_id == tenant,
            Rule.event_type.in_(set(event_types)),
            Rule.enabled.is_(True),
        )
        .order_by(Rule.created_at, Rule.id)
    )
    found: dict[str, list[Rule]] = {}
    for rule in rows:
        found.setdefault(rule.event_type, []).append(rule)
    return found
