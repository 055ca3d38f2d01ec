"""Identity's object and entity types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import load_many, load_required, reference
from subgraphs.identity import models
from subgraphs.identity.graphql import loaders


@strawberry.federation.type(keys=["id"], description="A company using NEXO.")
class Tenant:
    id: strawberry.ID
    name: str
    slug: str
    base_currency: str
    created_at: dt.datetime

    @classmethod
    def from_model(cls, t: models.Tenant) -> Tenant:
        return cls(
            id=to_id(t.id),
            name=t.name,
            slug=t.slug,
            base_currency=t.base_currency,
            created_at=t.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Tenant | None:
        return await reference(info, "identity:read", loaders.tenants, id, cls.from_model)


@strawberry.type
class Role:
    id: strawberry.ID
    name: str
    description: str
    permissions: list[str]
    builtin: bool

    @classmethod
    def from_model(cls, r: models.Role) -> Role:
        return cls(
            id=to_id(r.id),
            name=r.name,
            description=r.description,
            permissions=list(r.permissions),
            builtin=r.builtin,
        )


@strawberry.federation.type(keys=["id"], description="A person who signs in to a tenant.")
class User:
    id: strawberry.ID
    email: str
    name: str
    active: bool
    created_at: dt.datetime
    tenant_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, u: models.User) -> User:
        return cls(
            id=to_id(u.id),
            email=u.email,
            name=u.name,
            active=u.active,
            created_at=u.created_at,
            tenant_id=u.tenant_id,
        )

    @strawberry.field
    async def roles(self, info: Info[Any, Any]) -> list[Role]:
        return await load_many(info, loaders.roles_by_user, parse_id(self.id), Role.from_model)

    @strawberry.field
    async def tenant(self, info: Info[Any, Any]) -> Tenant:
        return await load_required(info, loaders.tenants, self.tenant_id, Tenant.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> User | None:
        return await reference(info, None, loaders.users, id, cls.from_model)
