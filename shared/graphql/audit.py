"""`auditEvents`: the tenant's audit log for its admins (`shared.audit`), a Relay
connection, newest first. Served by the identity subgraph, whose `Query` inherits
`AuditQuery`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import strawberry
from strawberry.types import Info

from shared import audit
from shared.graphql.ids import parse_opt_id, to_id, to_opt_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import read

PERMISSION = "identity:admin"


@strawberry.type(description="One field an audited action changed.")
class AuditChange:
    field: str
    before: str | None = strawberry.field(description="The value before, as JSON.")
    after: str | None = strawberry.field(description="The value after, as JSON.")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


@strawberry.type(description="A sensitive operation: who did it, when, and what changed.")
class AuditEvent:
    id: strawberry.ID
    occurred_at: dt.datetime
    action: str = strawberry.field(description="e.g. `identity.login.failed`.")
    actor_id: strawberry.ID | None = strawberry.field(
        description="The user who acted (for a login: who logged in); null for the system."
    )
    target_type: str
    target_id: str | None
    changes: list[AuditChange]
    request_id: str | None
    source: str | None = strawberry.field(description="The client's address.")

    @classmethod
    def from_model(cls, e: audit.AuditEvent) -> AuditEvent:
        before, after = e.before or {}, e.after or {}
        fields = list(dict.fromkeys([*before, *after]))
        return cls(
            id=to_id(e.id),
            occurred_at=e.occurred_at,
            action=e.action,
            actor_id=to_opt_id(e.actor_id),
            target_type=e.target_type,
            target_id=e.target_id,
            changes=[
                AuditChange(field=f, before=_json(before.get(f)), after=_json(after.get(f)))
                for f in fields
            ],
            request_id=e.request_id,
            source=e.source,
        )


@strawberry.input
class AuditEventFilter:
    actions: list[str] | None = None
    actor_id: strawberry.ID | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: dt.datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_filter(self) -> audit.AuditFilter:
        return audit.AuditFilter(
            actions=tuple(self.actions or ()),
            actor_id=parse_opt_id(self.actor_id),
            target_type=self.target_type,
            target_id=self.target_id,
            since=self.since,
            until=self.until,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The tenant's audit log, newest first (admins only).")
    async def audit_events(
        self,
        info: Info[Any, Any],
        filter: AuditEventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEvent] | None:
        wanted = (filter or AuditEventFilter()).to_filter()
        page = await read(
            info,
            PERMISSION,
            lambda s, t: audit.list_events(s, t, filter=wanted, first=first, after=after),
        )
        return Connection.of(page, AuditEvent.from_model)
