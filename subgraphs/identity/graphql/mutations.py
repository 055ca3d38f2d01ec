"""Identity's mutations and their payloads."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id
from shared.graphql.resolvers import context, perform, perform_anonymous
from shared.graphql.types import UserError
from subgraphs.identity import models, roles, sessions, tenants, users
from subgraphs.identity.graphql.inputs import (
    CreateRoleInput,
    CreateUserInput,
    DeactivateUserInput,
    LoginInput,
    RefreshTokenInput,
    SignUpInput,
    UpdateRoleInput,
    UpdateUserInput,
)
from subgraphs.identity.graphql.types import Role, User

ADMIN = "identity:admin"


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, info: Info[Any, Any], result: sessions.AuthResult | None, errors: list[UserError]
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

    @classmethod
    def of(cls, row: models.User | None, errors: list[UserError]) -> UserPayload:
        return cls(user=User.from_model(row) if row else None, errors=errors)


@strawberry.type
class RolePayload:
    role: Role | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, row: models.Role | None, errors: list[UserError]) -> RolePayload:
        return cls(role=Role.from_model(row) if row else None, errors=errors)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a tenant and its first admin; returns a login.")
    async def sign_up(self, info: Info[Any, Any], input: SignUpInput) -> AuthPayload:
        settings = context(info).runtime.settings
        result, errors = await perform_anonymous(
            info,
            lambda s: tenants.sign_up(
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
            lambda s: sessions.login(
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
            lambda s: sessions.refresh(
                s, runtime.db, runtime.settings, refresh_token=input.refresh_token
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation(description="Revoke the refresh token's whole family.")
    async def logout(self, info: Info[Any, Any], input: RefreshTokenInput) -> LogoutPayload:
        _, errors = await perform_anonymous(
            info, lambda s: sessions.logout(s, refresh_token=input.refresh_token)
        )
        return LogoutPayload(ok=not errors, errors=errors)

    @strawberry.mutation
    async def create_user(self, info: Info[Any, Any], input: CreateUserInput) -> UserPayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: users.create_user(
                s,
                p.tenant_id,
                email=input.email,
                name=input.name,
                password=input.password,
                roles=input.roles,
            ),
        )
        return UserPayload.of(row, errors)

    @strawberry.mutation
    async def update_user(self, info: Info[Any, Any], input: UpdateUserInput) -> UserPayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: users.update_user(
                s,
                p.tenant_id,
                user_id=parse_id(input.id),
                email=input.email,
                name=input.name,
                password=input.password,
                roles=input.roles,
            ),
            rename={"userId": "id"},
        )
        return UserPayload.of(row, errors)

    @strawberry.mutation
    async def deactivate_user(
        self, info: Info[Any, Any], input: DeactivateUserInput
    ) -> UserPayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: users.deactivate_user(
                s, p.tenant_id, user_id=parse_id(input.id), actor=p.user_id
            ),
            rename={"userId": "id"},
        )
        return UserPayload.of(row, errors)

    @strawberry.mutation
    async def create_role(self, info: Info[Any, Any], input: CreateRoleInput) -> RolePayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: roles.create_role(
                s,
                p.tenant_id,
                name=input.name,
                description=input.description,
                permissions=input.permissions,
            ),
        )
        return RolePayload.of(row, errors)

    @strawberry.mutation
    async def update_role(self, info: Info[Any, Any], input: UpdateRoleInput) -> RolePayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: roles.update_role(
                s,
                p.tenant_id,
                role_id=parse_id(input.id),
                name=input.name,
                description=input.description,
                permissions=input.permissions,
            ),
            rename={"roleId": "id"},
        )
        return RolePayload.of(row, errors)
