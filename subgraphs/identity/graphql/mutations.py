"""Identity's mutations and their payloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from shared import ratelimit
from shared.codes import Code
from shared.errors import InvalidInput
from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import context, perform, perform_anonymous
from shared.graphql.types import UserError, user_errors
from shared.internal_auth import UNKNOWN, client_address
from subgraphs.identity import invitations, models, roles, sessions, tenants, users
from subgraphs.identity.graphql.inputs import (
    AcceptInvitationInput,
    CreateRoleInput,
    CreateUserInput,
    DeactivateUserInput,
    InviteUserInput,
    LoginInput,
    RefreshTokenInput,
    SignUpInput,
    UpdateRoleInput,
    UpdateUserInput,
)
from subgraphs.identity.graphql.types import Role, User

ADMIN = "identity:admin"

# Per source address, in the platform partition: anonymous mutations that guess secrets
# or create rows. Calls without a known address (in-process tools) are not limited here.
LOGIN_LIMIT = ratelimit.Limit(per_minute=30, burst=10)
REFRESH_LIMIT = ratelimit.Limit(per_minute=60, burst=20)
SIGNUP_LIMIT = ratelimit.Limit(per_minute=5, burst=5)


async def _limit(info: Info[Any, Any], name: str, limit: ratelimit.Limit) -> None:
    ctx = context(info)
    source = client_address(ctx.headers)
    if source != UNKNOWN:
        await ratelimit.enforce(
            ctx.runtime.db, ratelimit.PLATFORM, f"{name}:{source}", limit, what=f"{name} attempts"
        )


def _signup_refused(wanted: tuple[str, ...], info: Info[Any, Any]) -> list[UserError] | None:
    policy = context(info).runtime.settings.signup
    if policy in wanted:
        return None
    return user_errors(
        InvalidInput.one(
            None, Code.SIGNUP_CLOSED, f"Not open here (sign-up is {policy}): ask an admin"
        )
    )


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


@strawberry.type(description="An invitation; its token is only ever shown in this payload.")
class Invitation:
    id: strawberry.ID
    email: str
    roles: list[str]
    expires_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=to_id(row.id), email=row.email, roles=list(row.roles), expires_at=row.expires_at
        )


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None = None
    token: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a tenant and its first admin; returns a login. Only when the"
        " deployment's sign-up is `open` (SIGNUP_CLOSED otherwise)."
    )
    async def sign_up(self, info: Info[Any, Any], input: SignUpInput) -> AuthPayload:
        refused = _signup_refused(("open",), info)
        if refused:
            return AuthPayload(errors=refused)
        await _limit(info, "signup", SIGNUP_LIMIT)
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
        await _limit(info, "login", LOGIN_LIMIT)
        source = client_address(context(info).headers)
        result, errors = await perform_anonymous(
            info,
            lambda s: sessions.login(
                s,
                runtime.db,
                runtime.settings,
                tenant_slug=input.tenant,
                email=input.email,
                password=input.password,
                source=source,
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation
    async def refresh_token(self, info: Info[Any, Any], input: RefreshTokenInput) -> AuthPayload:
        runtime = context(info).runtime
        await _limit(info, "refresh", REFRESH_LIMIT)
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

    @strawberry.mutation(
        description="Invite an email address with roles: the one-time token in the payload"
        " (shown once) lets its holder join with acceptInvitation. Needs sign-up `open` or"
        " `invite`."
    )
    async def invite_user(self, info: Info[Any, Any], input: InviteUserInput) -> InvitationPayload:
        refused = _signup_refused(("open", "invite"), info)
        if refused:
            context(info).require(ADMIN)
            return InvitationPayload(errors=refused)
        issued, errors = await perform(
            info,
            ADMIN,
            lambda s, p: invitations.invite_user(
                s, p.tenant_id, email=input.email, roles=input.roles, invited_by=p.user_id
            ),
        )
        if issued is None:
            return InvitationPayload(errors=errors)
        return InvitationPayload(
            invitation=Invitation.from_model(issued.invitation), token=issued.token
        )

    @strawberry.mutation(description="Join a tenant by invitation; returns a login.")
    async def accept_invitation(
        self, info: Info[Any, Any], input: AcceptInvitationInput
    ) -> AuthPayload:
        refused = _signup_refused(("open", "invite"), info)
        if refused:
            return AuthPayload(errors=refused)
        await _limit(info, "signup", SIGNUP_LIMIT)
        settings = context(info).runtime.settings
        result, errors = await perform_anonymous(
            info,
            lambda s: invitations.accept_invitation(
                s, settings, token=input.token, name=input.name, password=input.password
            ),
        )
        return AuthPayload.of(info, result, errors)
