"""Invitations: an admin invites an email address with roles; the one-time token that
comes back lets its holder choose a name and a password and join the tenant, signed in.

Whether invitations (and sign-up) are open is the deployment's `NEXO_SIGNUP`, enforced
by the GraphQL layer: `open` (anyone may create a tenant; admins invite), `invite` (no
new tenants; admins invite) or `closed` (neither: admins create users themselves).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId, bind_tenant
from shared.errors import InvalidInput
from shared.settings import Settings
from shared.validation import Checks
from subgraphs.identity import tokens
from subgraphs.identity.credentials import check_email
from subgraphs.identity.models import Invitation, User
from subgraphs.identity.sessions import AuthResult, start_session
from subgraphs.identity.users import create_user, resolve_roles

PREFIX = "nxi"
LIFETIME = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Issued:
    invitation: Invitation
    token: str
    """Shown once: only its hash is kept."""


def invalid_invitation() -> InvalidInput:
    return InvalidInput.one(
        "token", Code.INVALID_TOKEN, "The invitation is unknown, used or expired"
    )


async def invite_user(
    session: AsyncSession,
    tenant: TenantId,
    *,
    email: str,
    roles: Sequence[str],
    invited_by: uuid.UUID,
) -> Issued:
    checks = Checks()
    email = check_email(checks, "email", email)
    email_ok = checks.ok
    role_rows = await resolve_roles(session, tenant, roles, checks)
    if email_ok and await session.scalar(
        select(User.id).where(User.tenant_id == tenant, func.lower(User.email) == email.lower())
    ):
        checks.add("email", Code.DUPLICATE, "A user with this email exists")
    checks.raise_any()
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        tenant_id=tenant,
        email=email,
        roles=sorted(r.name for r in role_rows),
        token_hash=tokens.hash_secret(secret),
        invited_by=invited_by,
        expires_at=dt.datetime.now(dt.UTC) + LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    return Issued(invitation, f"{PREFIX}.{tenant}.{secret}")


async def accept_invitation(
    session: AsyncSession, settings: Settings, *, token: str, name: str, password: str
) -> AuthResult:
    """A new user with the invitation's email and roles, signed in; the token is spent."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise invalid_invitation()
    try:
        tenant = TenantId(uuid.UUID(parts[1]))
    except ValueError:
        raise invalid_invitation() from None
    await bind_tenant(session, tenant)
    invitation = await session.scalar(
        select(Invitation)
        .where(
            Invitation.token_hash == tokens.hash_secret(parts[2]),
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > func.now(),
        )
        .with_for_update()
    )
    if invitation is None:
        raise invalid_invitation()
    user = await create_user(
        session,
        tenant,
        email=invitation.email,
        name=name,
        password=password,
        roles=invitation.roles,
    )
    invitation.accepted_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return await start_session(session, settings, tenant, user)
