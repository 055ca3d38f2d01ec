"""Identity's queries."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.errors import Unauthenticated
from shared.graphql.relay import Connection
from shared.graphql.resolvers import context, load_one, read, reference
from subgraphs.identity import reads
from subgraphs.identity.graphql import loaders
from subgraphs.identity.graphql.inputs import UserFilter
from subgraphs.identity.graphql.types import Role, User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info[Any, Any]) -> User:
        principal = context(info).require()
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
    ) -> Connection[User]:
        wanted = (filter or UserFilter()).to_filter()
        page = await read(
            info,
            "identity:read",
            lambda s, t: reads.list_users(s, t, filter=wanted, first=first, after=after),
        )
        return Connection.of(page, User.from_model)

    @strawberry.field
    async def roles(self, info: Info[Any, Any]) -> list[Role]:
        rows = await read(info, "identity:read", reads.list_roles)
        return [Role.from_model(r) for r in rows]
