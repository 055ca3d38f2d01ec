"""Identity's GraphQL types, queries and mutations. Thin: parse, call the service, map."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql import UserError, context, parse_id, perform, perform_anonymous
from shared.pagination import Connection
from subgraphs.identity import loaders, models, service


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
            id=strawberry.ID(str(t.id)),
            name=t.name,
            slug=t.slug,
            base_currency=t.base_currency,
            created_at=t.created_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Tenant | None:
        ctx = context(info)
        ctx.require("identity:read")
        row = await loaders.tenants(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


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
            id=strawberry.ID(str(r.id)),
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
            id=strawberry.ID(str(u.id)),
            email=u.email,
            name=u.name,
            active=u.active,
            created_at=u.created_at,
            tenant_id=u.tenant_id,
        )

    @strawberry.field
    async def roles(self, info: Info[Any, Any]) -> list[Role]:
        rows = await loaders.roles_by_user(context(info)).load(parse_id(self.id))
        return [Role.from_model(r) for r in rows]

    @strawberry.field
    async def tenant(self, info: Info[Any, Any]) -> Tenant:
        row = await loaders.tenants(context(info)).load(self.tenant_id)
        assert row is not None
        return Tenant.from_model(row)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> User | None:
        ctx = context(info)
        ctx.require()
        row = await loaders.users(ctx).load(parse_id(id))
        return cls.from_model(row) if row else None


@strawberry.input
class UserFilter:
    search: str | None = None
    active: bool | None = None
    role: str | None = None


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info[Any, Any]) -> User:
        ctx = context(info)
        principal = ctx.require()
        row = await loaders.users(ctx).load(principal.user_id)
        if row is None:
            from shared.errors import Unauthenticated

            raise Unauthenticated("The token's user no longer exists")
        return User.from_model(row)

    @strawberry.field
    async def user(self, info: Info[Any, Any], id: strawberry.ID) -> User | None:
        ctx = context(info)
        ctx.require("identity:read")
        row = await loaders.users(ctx).load(parse_id(id))
        return User.from_model(row) if row else None

    @strawberry.field
    async def users(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: UserFilter | None = None,
    ) -> Connection[User]:
        ctx = context(info)
        tenant = ctx.require("identity:read").tenant_id
        f = filter or UserFilter()
        async with ctx.session() as session:
            page = await service.list_users(
                session,
                tenant,
                filter=service.UserFilter(search=f.search, active=f.active, role=f.role),
                first=first,
                after=after,
            )
        return Connection.of(page, User.from_model)

    @strawberry.field
    async def roles(self, info: Info[Any, Any]) -> list[Role]:
        ctx = context(info)
        tenant = ctx.require("identity:read").tenant_id
        async with ctx.session() as session:
            rows = await service.list_roles(session, tenant)
        return [Role.from_model(r) for r in rows]


# --- mutations ----------------------------------------------------------------------


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, info: Info[Any, Any], result: service.AuthResult | None, errors: list[UserError]
    ) -> AuthPayload:
        if result is None:
            return cls(errors=errors)
        context(info).assume(result.principal())
        return cls(
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            expires_in=result.expires_in,
            user=User.from_model(result.user),
            errors=errors,
        )


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RolePayload:
    role: Role | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SignUpInput:
    tenant_name: str
    email: str
    password: str
    name: str


@strawberry.input
class LoginInput:
    tenant: str = strawberry.field(description="The tenant's slug.")
    email: str
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    password: str
    roles: list[str]


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID
    email: str | None = None
    name: str | None = None
    password: str | None = None
    roles: list[str] | None = None


@strawberry.input
class DeactivateUserInput:
    id: strawberry.ID


@strawberry.input
class CreateRoleInput:
    name: str
    description: str = ""
    permissions: list[str]


@strawberry.input
class UpdateRoleInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    permissions: list[str] | None = None


def _user(row: models.User | None, errors: list[UserError]) -> UserPayload:
    return UserPayload(user=User.from_model(row) if row else None, errors=errors)


def _role(row: models.Role | None, errors: list[UserError]) -> RolePayload:
    return RolePayload(role=Role.from_model(row) if row else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a tenant and its first admin; returns a login.")
    async def sign_up(self, info: Info[Any, Any], input: SignUpInput) -> AuthPayload:
        settings = context(info).runtime.settings
        result, errors = await perform_anonymous(
            info,
            lambda s: service.sign_up(
                s,
                settings,
                tenant_name=input.tenant_name,
                email=input.email,
                password=input.password,
                name=input.name,
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation
    async def login(self, info: Info[Any, Any], input: LoginInput) -> AuthPayload:
        runtime = context(info).runtime
        result, errors = await perform_anonymous(
            info,
            lambda s: service.login(
                s,
                runtime.db,
                runtime.settings,
                tenant_slug=input.tenant,
                email=input.email,
                password=input.password,
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation
    async def refresh_token(self, info: Info[Any, Any], input: RefreshTokenInput) -> AuthPayload:
        runtime = context(info).runtime
        result, errors = await perform_anonymous(
            info,
            lambda s: service.refresh(
                s, runtime.db, runtime.settings, refresh_token=input.refresh_token
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation(description="Revoke the refresh token's whole family.")
    async def logout(self, info: Info[Any, Any], input: RefreshTokenInput) -> LogoutPayload:
        _, errors = await perform_anonymous(
            info,
            lambda s: service.logout(s, refresh_token=input.refresh_token),
        )
        return LogoutPayload(ok=not errors, errors=errors)

    @strawberry.mutation
    async def create_user(self, info: Info[Any, Any], input: CreateUserInput) -> UserPayload:
        row, errors = await perform(
            info,
            "identity:admin",
            lambda s, p: service.create_user(
                s,
                p.tenant_id,
                email=input.email,
                name=input.name,
                password=input.password,
                roles=input.roles,
            ),
        )
        return _user(row, errors)

    @strawberry.mutation
    async def update_user(self, info: Info[Any, Any], input: UpdateUserInput) -> UserPayload:
        row, errors = await perform(
            info,
            "identity:admin",
            lambda s, p: service.update_user(
                s,
                p.tenant_id,
                user_id=parse_id(input.id),
                email=input.email,
                name=input.name,
                password=input.password,
                roles=input.roles,
            ),
        )
        return _user(row, errors)

    @strawberry.mutation
    async def deactivate_user(
        self, info: Info[Any, Any], input: DeactivateUserInput
    ) -> UserPayload:
        row, errors = await perform(
            info,
            "identity:admin",
            lambda s, p: service.deactivate_user(
                s, p.tenant_id, user_id=parse_id(input.id), actor=p.user_id
            ),
        )
        return _user(row, errors)

    @strawberry.mutation
    async def create_role(self, info: Info[Any, Any], input: CreateRoleInput) -> RolePayload:
        row, errors = await perform(
            info,
            "identity:admin",
            lambda s, p: service.create_role(
                s,
                p.tenant_id,
                name=input.name,
                description=input.description,
                permissions=input.permissions,
            ),
        )
        return _role(row, errors)

    @strawberry.mutation
    async def update_role(self, info: Info[Any, Any], input: UpdateRoleInput) -> RolePayload:
        row, errors = await perform(
            info,
            "identity:admin",
            lambda s, p: service.update_role(
                s,
                p.tenant_id,
                role_id=parse_id(input.id),
                name=input.name,
                description=input.description,
                permissions=input.permissions,
            ),
        )
        return _role(row, errors)
