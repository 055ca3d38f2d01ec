"""Identity's surface for other domains, seeds, the CLI and tests: sign-up and login,
user and role administration, tenant and user look-ups, the built-in roles and the
signing keys. Implementation lives in the rule and read modules listed here."""

from __future__ import annotations

from subgraphs.identity.events import IdentityEvent
from subgraphs.identity.models import Role, Tenant, User
from subgraphs.identity.reads import (
    UserFilter,
    get_tenant,
    list_roles,
    list_users,
    roles_by_user,
    user,
    users_by_id,
)
from subgraphs.identity.roles import BUILTIN_ROLES, create_role, update_role
from subgraphs.identity.sessions import AuthResult, login, logout, refresh
from subgraphs.identity.tenants import sign_up
from subgraphs.identity.tokens import (
    ensure_signing_key,
    list_signing_keys,
    public_jwks,
    retire_signing_key,
    rotate_signing_key,
)
from subgraphs.identity.users import create_user, deactivate_user, update_user

__all__ = [
    "BUILTIN_ROLES",
    "AuthResult",
    "IdentityEvent",
    "Role",
    "Tenant",
    "User",
    "UserFilter",
    "create_role",
    "create_user",
    "deactivate_user",
    "ensure_signing_key",
    "get_tenant",
    "list_roles",
    "list_signing_keys",
    "list_users",
    "login",
    "logout",
    "public_jwks",
    "refresh",
    "retire_signing_key",
    "roles_by_user",
    "rotate_signing_key",
    "sign_up",
    "update_role",
    "update_user",
    "user",
    "users_by_id",
]
