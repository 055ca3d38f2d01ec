"""Identity's queries."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.errors import Unauthenticated
from shared.graphql.audit import AuditQuery
from shared.graphql.relay import Connection
from shared.graphql.resolvers import context, load_one, read, reference
from subgraphs.identity import lockout, reads
from subgraphs.identity.graphql import loaders
from subgraphs.identity.graphql.inputs import UserFilter
from subgraphs.identity.graphql.types import LockoutEvent, Role, User


# Root fields are nullable: through the router, an outage of this subgraph nulls its own
# fields and not the whole response (README "Nullability across subgraphs").
@strawberry.type
class Query(AuditQuery):  # + auditEvents (shared/graphql/audit.py)
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info[Any, Any]) -> User | None:
        principal = context(info).require()
        if not principal.is_user:
            raise Unauthenticated("A service client is not a user: `me` is for people")
        found = await load_one(info, loaders.users, principal.user_id, User.from_model)
        if found is None:
            raise Unauthenticated("The token's user no longer exists")
        return found

    @strawberry.field
    async def user(self, info: Info[Any, Any], id: strawberry.ID) -> User | None:
        return await reference(info, "identity:read", loaders.users, id, User.from_model)

    @strawberry.field
    async def users(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: UserFilter | None = None,
    ) -> Connection[User] | None:
        wanted = (filter or UserFilter()).to_filter()
        page = await read(
            info,
            "identity:read",
            lambda s, t: reads.list_users(s, t, filter=wanted, first=first, after=after),
        )
        return Connection.of(page, User.from_model)

    @strawberry.field
    async def roles(self, info: Info[Any, Any]) -> list[Role] | None:
        rows = await read(info, "identity:read", reads.list_roles)
        return [Role.from_model(r) for r in rows]

    @strawberry.field(description="The tenant's recent login lock-outs, newest first.")
    async def lockout_events(self, info: Info[Any, Any], first: int = 50) -> list[LockoutEvent]:
        limit = min(max(first, 1), 200)
        rows = await read(
            info, "identity:admin", lambda s, t: lockout.recent_events(s, t, limit=limit)
        )
        return [LockoutEvent.from_model(r) for r in rows]
