"""Identity's input types and their conversion to what the rules and reads take."""

from __future__ import annotations

import strawberry

from subgraphs.identity import reads


@strawberry.input
class UserFilter:
    search: str | None = None
    active: bool | None = None
    role: str | None = None

    def to_filter(self) -> reads.UserFilter:
        return reads.UserFilter(search=self.search, active=self.active, role=self.role)


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


@strawberry.input
class InviteUserInput:
    email: str
    roles: list[str]


@strawberry.input
class AcceptInvitationInput:
    token: str
    name: str
    password: str


@strawberry.input
class ConfirmTotpEnrolmentInput:
    code: str = strawberry.field(description="The current code of the authenticator app.")


@strawberry.input
class VerifyMfaInput:
    mfa_token: str
    code: str | None = strawberry.field(default=None, description="A current TOTP code.")
    recovery_code: str | None = strawberry.field(
        default=None, description="Instead of `code`: an unused recovery code."
    )


@strawberry.input
class ResetUserMfaInput:
    user_id: strawberry.ID


@strawberry.input
class SetMfaPolicyInput:
    required: bool


@strawberry.input
class CreateServiceClientInput:
    name: str
    permissions: list[str]


@strawberry.input
class ServiceClientInput:
    client_id: strawberry.ID = strawberry.field(description="The id createServiceClient gave.")


@strawberry.input(description="A whole address: a part left out is cleared.")
class TenantAddressInput:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "postal_code": self.postal_code,
            "city": self.city,
            "region": self.region,
            "country": self.country,
        }


@strawberry.input(description="The caller's own tenant; a field left out stays as it is.")
class UpdateTenantInput:
    name: str | None = None
    address: TenantAddressInput | None = None
    tax_id: str | None = None
