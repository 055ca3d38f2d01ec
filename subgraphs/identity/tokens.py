"""Signing keys and access tokens (JWT, Ed25519), plus refresh-token secrets."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import OKPKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.auth import ALGORITHM, USER, forget_keys_everywhere
from shared.db import TenantId
from shared.revocation import after_commit
from subgraphs.identity.models import SigningKey

REFRESH_PREFIX = "nxr"


def _new_kid() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S-") + secrets.token_hex(4)


async def rotate_signing_key(session: AsyncSession) -> str:
    """Add a key that signs from now on; older keys keep verifying until retired."""
    kid = _new_kid()
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"})
    session.add(
        SigningKey(
            kid=kid,
            private_jwk=dict(key.as_dict(private=True)),
            public_jwk=dict(key.as_dict(private=False)),
        )
    )
    await session.flush()
    await audit.record(
        session,
        audit.PLATFORM,
        action=audit.Action.SIGNING_KEY_ROTATED,
        target_type="SigningKey",
        target_id=kid,
    )
    return kid


async def ensure_signing_key(session: AsyncSession) -> None:
    exists = await session.scalar(select(SigningKey.kid).where(SigningKey.retired_at.is_(None)))
    if exists is None:
        await rotate_signing_key(session)


async def retire_signing_key(session: AsyncSession, kid: str) -> bool:
    """The key stops signing and verifying: at once in this process once the transaction
    commits, within the verifiers' key cache (60 s) in every other process."""
    result = await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == kid, SigningKey.retired_at.is_(None))
        .values(retired_at=dt.datetime.now(dt.UTC))
    )
    retired = bool(result.rowcount)  # type: ignore[attr-defined]
    if retired:
        after_commit(session, forget_keys_everywhere)
        await audit.record(
            session,
            audit.PLATFORM,
            action=audit.Action.SIGNING_KEY_RETIRED,
            target_type="SigningKey",
            target_id=kid,
        )
    return retired


async def list_signing_keys(session: AsyncSession) -> list[SigningKey]:
    return list((await session.scalars(select(SigningKey).order_by(SigningKey.created_at))).all())


async def public_jwks(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(SigningKey.public_jwk)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at)
    )
    return [dict(r) for r in rows]


async def _current_key(session: AsyncSession) -> OKPKey:
    jwk = await session.scalar(
        select(SigningKey.private_jwk)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.kid.desc())
        .limit(1)
    )
    if jwk is None:
        raise RuntimeError("no signing key: run `nexo migrate` or `nexo keys rotate`")
    return OKPKey.import_key(jwk)


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    token_id: str


async def issue_access_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    tenant: TenantId,
    roles: list[str],
    permissions: list[str],
    issuer: str,
    audience: str,
    ttl: int,
    session_id: uuid.UUID | None = None,
    version: int = 0,
    kind: str = USER,
) -> AccessToken:
    """`session_id` (claim `sid`) and `version` (`ver`) let the token be revoked before
    it expires (`shared.revocation`); `kind` says whether it speaks for a user or a
    service client."""
    key = await _current_key(session)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id),
        "tid": str(tenant),
        "roles": sorted(roles),
        "perms": sorted(permissions),
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "ver": version,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    if kind != USER:
        claims["kind"] = kind
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    token = jwt.encode(header, claims, key, algorithms=[ALGORITHM])
    return AccessToken(token, ttl, str(claims["jti"]))


def new_refresh_secret(tenant: TenantId) -> tuple[str, str]:
    """(the token the client keeps, the hash we store). The tenant rides in the clear so
    the lookup can run under row-level security; only the secret part is sensitive."""
    secret = secrets.token_urlsafe(32)
    return f"{REFRESH_PREFIX}.{tenant}.{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_refresh_token(token: str) -> tuple[TenantId, str] | None:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != REFRESH_PREFIX:
        return None
    try:
        tenant = TenantId(uuid.UUID(parts[1]))
    except ValueError:
        return None
    return tenant, hash_secret(parts[2])
