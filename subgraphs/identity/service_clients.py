"""Service clients: OAuth2 client credentials (RFC 6749 4.4). A client id is
`<tenant>.<id>`, so the look-up runs under row-level security; the secret is random,
shown once, and stored as a SHA-256 hash (as refresh tokens are)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import revocation
from shared.auth import CLIENT
from shared.codes import Code
from shared.db import TenantId, bind_tenant
from shared.errors import InvalidInput
from shared.settings import Settings
from shared.validation import Checks
from subgraphs.identity import tokens
from subgraphs.identity.models import ServiceClient
from subgraphs.identity.roles import is_permission


@dataclass(frozen=True, slots=True)
class Issued:
    client: ServiceClient
    client_id: str
    client_secret: str


def client_id_of(row: ServiceClient) -> str:
    return f"{row.tenant_id}.{row.id}"


def _new_secret(row: ServiceClient) -> str:
    secret = secrets.token_urlsafe(32)
    row.secret_hash = tokens.hash_secret(secret)
    return secret


async def create(
    session: AsyncSession, tenant: TenantId, *, name: str, permissions: list[str]
) -> Issued:
    checks = Checks()
    cleaned = checks.text("name", name)
    if not cleaned:
        checks.add("name", Code.REQUIRED, "This field is required")
    bad = [p for p in permissions if not is_permission(p)]
    if bad:
        checks.add(
            "permissions", Code.UNKNOWN_PERMISSION, f"Unknown permission(s): {', '.join(bad)}"
        )
    checks.raise_any()
    row = ServiceClient(
        tenant_id=tenant, id=uuid.uuid4(), name=cleaned, permissions=sorted(set(permissions))
    )
    secret = _new_secret(row)
    session.add(row)
    await session.flush()
    return Issued(row, client_id_of(row), secret)


async def _active(session: AsyncSession, client_id: uuid.UUID) -> ServiceClient:
    row = await session.scalar(
        select(ServiceClient).where(
            ServiceClient.id == client_id, ServiceClient.revoked_at.is_(None)
        )
    )
    if row is None:
        raise InvalidInput.one("clientId", Code.NOT_FOUND, "No such service client")
    return row


async def _cut_tokens(session: AsyncSession, tenant: TenantId, row: ServiceClient) -> None:
    """Access tokens issued so far stop verifying within seconds."""
    row.token_version += 1
    await session.flush()
    await revocation.revoke_subject(session, tenant, row.id, min_version=row.token_version)


async def rotate_secret(session: AsyncSession, tenant: TenantId, client_id: uuid.UUID) -> Issued:
    row = await _active(session, client_id)
    secret = _new_secret(row)
    await _cut_tokens(session, tenant, row)
    return Issued(row, client_id_of(row), secret)


async def revoke(session: AsyncSession, tenant: TenantId, client_id: uuid.UUID) -> ServiceClient:
    row = await _active(session, client_id)
    row.revoked_at = dt.datetime.now(dt.UTC)
    await _cut_tokens(session, tenant, row)
    return row


def parse_client_id(client_id: str) -> tuple[TenantId, uuid.UUID] | None:
    tenant, _, ident = client_id.partition(".")
    try:
        return TenantId(uuid.UUID(tenant)), uuid.UUID(ident)
    except ValueError:
        return None


class InvalidClient(Exception):
    """RFC 6749 5.2 `invalid_client`."""


class InvalidScope(Exception):
    """RFC 6749 5.2 `invalid_scope`."""


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    expires_in: int
    scope: list[str]


async def grant(
    session: AsyncSession,
    settings: Settings,
    *,
    client_id: str,
    client_secret: str,
    scope: list[str] | None = None,
) -> Grant:
    """The client credentials grant; `scope` (optional) narrows the client's permissions."""
    parsed = parse_client_id(client_id)
    if parsed is None:
        raise InvalidClient
    tenant, ident = parsed
    await bind_tenant(session, tenant)
    row = await session.scalar(select(ServiceClient).where(ServiceClient.id == ident))
    presented = tokens.hash_secret(client_secret)
    if row is None or row.revoked_at is not None:
        raise InvalidClient
    if not hmac.compare_digest(row.secret_hash, presented):
        raise InvalidClient
    granted = list(row.permissions)
    if scope is not None:
        if not set(scope) <= set(granted):
            raise InvalidScope
        granted = sorted(set(scope))
    access = await tokens.issue_access_token(
        session,
        user_id=row.id,
        tenant=tenant,
        roles=[],
        permissions=granted,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
        version=row.token_version,
        kind=CLIENT,
    )
    return Grant(access.token, access.expires_in, granted)
