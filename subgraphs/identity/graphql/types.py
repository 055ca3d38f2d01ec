"""Identity's object and entity types."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from shared.errors import Forbidden
from shared.graphql.ids import to_id
from shared.graphql.resolvers import context, load_many, load_required, reference
from subgraphs.identity import models
from subgraphs.identity.graphql import loaders


@strawberry.type(description="A tenant's address; absent parts are null.")
class TenantAddress:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    @classmethod
    def of(cls, value: dict[str, Any] | None) -> TenantAddress:
        value = value or {}
        return cls(
            line1=value.get("line1"),
            line2=value.get("line2"),
            postal_code=value.get("postal_code"),
            city=value.get("city"),
            region=value.get("region"),
            country=value.get("country"),
        )


@strawberry.federation.type(keys=["id"], description="A company using NEXO.")
class Tenant:
    id: strawberry.ID
    name: str
    slug: str
    base_currency: str
    created_at: dt.datetime
    address: TenantAddress = strawberry.field(
        description="Printed on the tenant's documents (quotations, invoices)."
    )
    tax_id: str = strawberry.field(description="The tenant's VAT or tax number; empty if none.")

    @classmethod
    def from_model(cls, t: models.Tenant) -> Tenant:
        return cls(
            id=to_id(t.id),
            name=t.name,
            slug=t.slug,
            base_currency=t.base_currency,
            created_at=t.created_at,
            address=TenantAddress.of(t.address),
            tax_id=t.tax_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Tenant | None:
        # Any member may see their own tenant; `tenants_by_id` finds no other.
        return await reference(info, None, loaders.tenants, id, cls.from_model)


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


READ = "identity:read"

RESTRICTED = "Restricted: needs `identity:read`, or to be the user themself."


def _guard(info: Info[Any, Any], user_id: uuid.UUID) -> None:
    """A user's details beyond id and name are for `identity:read` and for themself;
    everyone else gets FORBIDDEN, wherever the User was reached from (`me`,
    `customers.owner`, `salesOrders.salesperson`, ...)."""
    principal = context(info).require()
    if principal.can(READ) or (principal.is_user and principal.user_id == user_id):
        return
    raise Forbidden(f"Missing permission {READ}", permission=READ)


@strawberry.federation.type(
    keys=["id"],
    description="A person who signs in to a tenant. Any member of the tenant sees `id`, "
    "`name` and `tenant`; the other fields need `identity:read` or to be the user.",
)
class User:
    id: strawberry.ID
    name: str
    tenant_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]
    email_value: strawberry.Private[str]
    active_value: strawberry.Private[bool]
    created_at_value: strawberry.Private[dt.datetime]

    @classmethod
    def from_model(cls, u: models.User) -> User:
        return cls(
            id=to_id(u.id),
            name=u.name,
            tenant_id=u.tenant_id,
            user_id=u.id,
            email_value=u.email,
            active_value=u.active,
            created_at_value=u.created_at,
        )

    @strawberry.field(description=RESTRICTED)
    def email(self, info: Info[Any, Any]) -> str:
        _guard(info, self.user_id)
        return self.email_value

    @strawberry.field(description=RESTRICTED)
    def active(self, info: Info[Any, Any]) -> bool:
        _guard(info, self.user_id)
        return self.active_value

    @strawberry.field(description=RESTRICTED)
    def created_at(self, info: Info[Any, Any]) -> dt.datetime:
        _guard(info, self.user_id)
        return self.created_at_value

    @strawberry.field(description=RESTRICTED)
    async def roles(self, info: Info[Any, Any]) -> list[Role]:
        _guard(info, self.user_id)
        return await load_many(info, loaders.roles_by_user, self.user_id, Role.from_model)

    @strawberry.field(description="What the user's roles grant, sorted. " + RESTRICTED)
    async def permissions(self, info: Info[Any, Any]) -> list[str]:
        _guard(info, self.user_id)
        roles = await loaders.roles_by_user(context(info)).load(self.user_id)
        return sorted({p for r in roles for p in r.permissions})

    @strawberry.field
    async def tenant(self, info: Info[Any, Any]) -> Tenant:
        return await load_required(info, loaders.tenants, self.tenant_id, Tenant.from_model)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> User | None:
        return await reference(info, None, loaders.users, id, cls.from_model)


@strawberry.type(description="A login lock-out the throttle imposed (see README, Access).")
class LockoutEvent:
    occurred_at: dt.datetime
    scope: str = strawberry.field(description="`account+source`, `account` or `source`.")
    email: str | None
    source: str = strawberry.field(description="The client address the failures came from.")
    locked_until: dt.datetime

    @classmethod
    def from_model(cls, e: models.LockoutEvent) -> LockoutEvent:
        return cls(
            occurred_at=e.occurred_at,
            scope=e.scope,
            email=e.email,
            source=e.source,
            locked_until=e.locked_until,
        )
