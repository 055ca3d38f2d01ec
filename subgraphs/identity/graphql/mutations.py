"""Identity's mutations and their payloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from shared import ratelimit
from shared.codes import Code
from shared.errors import Forbidden, InvalidInput
from shared.graphql.ids import parse_id, to_id
from shared.graphql.resolvers import context, perform, perform_anonymous
from shared.graphql.types import UserError, user_errors
from shared.internal_auth import UNKNOWN, client_address
from subgraphs.identity import (
    invitations,
    mfa,
    models,
    roles,
    service_clients,
    sessions,
    tenants,
    users,
)
from subgraphs.identity.graphql.inputs import (
    AcceptInvitationInput,
    ConfirmTotpEnrolmentInput,
    CreateRoleInput,
    CreateServiceClientInput,
    CreateUserInput,
    DeactivateUserInput,
    InviteUserInput,
    LoginInput,
    RefreshTokenInput,
    ResetUserMfaInput,
    ServiceClientInput,
    SetMfaPolicyInput,
    SignUpInput,
    UpdateRoleInput,
    UpdateTenantInput,
    UpdateUserInput,
    VerifyMfaInput,
)
from subgraphs.identity.graphql.types import Role, Tenant, User

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
    mfa_required: bool = strawberry.field(
        default=False,
        description="The password was right; finish with verifyMfa and `mfaToken`.",
    )
    mfa_token: str | None = strawberry.field(
        default=None, description="Short-lived and single-use; only with `mfaRequired`."
    )
    mfa_enrolment_required: bool = strawberry.field(
        default=False,
        description="The tenant requires MFA and the user has none: the tokens grant no"
        " permission until TOTP is enrolled and the user refreshes or logs in again.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls,
        info: Info[Any, Any],
        result: sessions.AuthResult | mfa.Challenge | None,
        errors: list[UserError],
    ) -> AuthPayload:
        if result is None:
            return cls(errors=errors)
        if isinstance(result, mfa.Challenge):
            return cls(
                mfa_required=True,
                mfa_token=result.mfa_token,
                expires_in=result.expires_in,
                errors=errors,
            )
        context(info).assume(result.principal())
        return cls(
            access_token=result.access_token,
            refresh_token=result.refresh_token,
            expires_in=result.expires_in,
            user=User.from_model(result.user),
            mfa_enrolment_required=result.mfa_enrolment_required,
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
class TenantPayload:
    tenant: Tenant | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


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
class TotpEnrolmentPayload:
    secret: str | None = None
    provisioning_uri: str | None = strawberry.field(
        default=None, description="An otpauth:// URI for the authenticator app's QR code."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecoveryCodesPayload:
    recovery_codes: list[str] | None = strawberry.field(
        default=None, description="Single-use; shown only in this payload."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MfaPolicyPayload:
    required: bool | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A tenant's OAuth2 client (client credentials grant).")
class ServiceClient:
    client_id: strawberry.ID
    name: str
    permissions: list[str]
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def from_model(cls, row: models.ServiceClient) -> ServiceClient:
        return cls(
            client_id=strawberry.ID(service_clients.client_id_of(row)),
            name=row.name,
            permissions=list(row.permissions),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type
class ServiceClientPayload:
    client: ServiceClient | None = None
    client_secret: str | None = strawberry.field(
        default=None, description="Shown only in this payload; POST /oauth/token takes it."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(
        cls, issued: service_clients.Issued | None, errors: list[UserError]
    ) -> ServiceClientPayload:
        if issued is None:
            return cls(errors=errors)
        return cls(
            client=ServiceClient.from_model(issued.client), client_secret=issued.client_secret
        )


def _client_ref(info: Info[Any, Any], client_id: str) -> Any:
    """The id's own part, if it is of the caller's tenant (NOT_FOUND otherwise)."""
    parsed = service_clients.parse_client_id(client_id)
    if parsed is None or parsed[0] != context(info).require().tenant_id:
        raise InvalidInput.one("clientId", Code.NOT_FOUND, "No such service client")
    return parsed[1]


def _self(info: Info[Any, Any]) -> None:
    """Self-service needs a user's token, not a service client's."""
    if not context(info).require().is_user:
        raise Forbidden("Only a user can enrol a second factor")


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
            lambda s: mfa.login(
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

    @strawberry.mutation(
        description="Change the caller's own tenant: its name, address and tax id, which its"
        " documents print."
    )
    async def update_tenant(self, info: Info[Any, Any], input: UpdateTenantInput) -> TenantPayload:
        row, errors = await perform(
            info,
            ADMIN,
            lambda s, p: tenants.update_tenant(
                s,
                p.tenant_id,
                name=input.name,
                address=input.address.as_dict() if input.address is not None else None,
                tax_id=input.tax_id,
            ),
        )
        return TenantPayload(tenant=Tenant.from_model(row) if row else None, errors=errors)

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

    @strawberry.mutation(
        description="Start (or restart) TOTP enrolment for the caller: a new secret and its"
        " provisioning URI. Active only after confirmTotpEnrolment."
    )
    async def begin_totp_enrolment(self, info: Info[Any, Any]) -> TotpEnrolmentPayload:
        _self(info)
        result, errors = await perform(
            info, None, lambda s, p: mfa.begin_enrolment(s, p.tenant_id, p.user_id), path=None
        )
        if result is None:
            return TotpEnrolmentPayload(errors=errors)
        return TotpEnrolmentPayload(secret=result.secret, provisioning_uri=result.provisioning_uri)

    @strawberry.mutation(
        description="Activate the pending TOTP with a current code; returns 10 recovery"
        " codes, shown once."
    )
    async def confirm_totp_enrolment(
        self, info: Info[Any, Any], input: ConfirmTotpEnrolmentInput
    ) -> RecoveryCodesPayload:
        _self(info)
        codes, errors = await perform(
            info,
            None,
            lambda s, p: mfa.confirm_enrolment(s, p.tenant_id, p.user_id, code=input.code),
        )
        return RecoveryCodesPayload(recovery_codes=codes, errors=errors)

    @strawberry.mutation(description="A login's second step: a TOTP code or a recovery code.")
    async def verify_mfa(self, info: Info[Any, Any], input: VerifyMfaInput) -> AuthPayload:
        runtime = context(info).runtime
        await _limit(info, "mfa", LOGIN_LIMIT)
        result, errors = await perform_anonymous(
            info,
            lambda s: mfa.verify(
                s,
                runtime.db,
                runtime.settings,
                mfa_token=input.mfa_token,
                code=input.code,
                recovery_code=input.recovery_code,
            ),
        )
        return AuthPayload.of(info, result, errors)

    @strawberry.mutation(description="Remove a user's TOTP and recovery codes (identity:admin).")
    async def reset_user_mfa(self, info: Info[Any, Any], input: ResetUserMfaInput) -> UserPayload:
        row, errors = await perform(
            info, ADMIN, lambda s, p: mfa.reset(s, p.tenant_id, parse_id(input.user_id))
        )
        return UserPayload.of(row, errors)

    @strawberry.mutation(
        description="Whether the tenant requires MFA: a user without TOTP then gets tokens"
        " that grant nothing but enrolment (identity:admin)."
    )
    async def set_mfa_policy(
        self, info: Info[Any, Any], input: SetMfaPolicyInput
    ) -> MfaPolicyPayload:
        required, errors = await perform(
            info, ADMIN, lambda s, p: mfa.set_policy(s, p.tenant_id, required=input.required)
        )
        return MfaPolicyPayload(required=required, errors=errors)

    @strawberry.mutation(
        description="A service client with `permissions`; its secret is shown once"
        " (identity:admin)."
    )
    async def create_service_client(
        self, info: Info[Any, Any], input: CreateServiceClientInput
    ) -> ServiceClientPayload:
        issued, errors = await perform(
            info,
            ADMIN,
            lambda s, p: service_clients.create(
                s, p.tenant_id, name=input.name, permissions=input.permissions
            ),
        )
        return ServiceClientPayload.of(issued, errors)

    @strawberry.mutation(
        description="A new secret, shown once; the old one and its tokens stop working."
    )
    async def rotate_service_client_secret(
        self, info: Info[Any, Any], input: ServiceClientInput
    ) -> ServiceClientPayload:
        async def act(s: Any, p: Any) -> service_clients.Issued:
            return await service_clients.rotate_secret(
                s, p.tenant_id, _client_ref(info, input.client_id)
            )

        issued, errors = await perform(info, ADMIN, act)
        return ServiceClientPayload.of(issued, errors)

    @strawberry.mutation(description="The client and its tokens stop working (identity:admin).")
    async def revoke_service_client(
        self, info: Info[Any, Any], input: ServiceClientInput
    ) -> ServiceClientPayload:
        async def act(s: Any, p: Any) -> models.ServiceClient:
            return await service_clients.revoke(s, p.tenant_id, _client_ref(info, input.client_id))

        row, errors = await perform(info, ADMIN, act)
        if row is None:
            return ServiceClientPayload(errors=errors)
        return ServiceClientPayload(client=ServiceClient.from_model(row))
