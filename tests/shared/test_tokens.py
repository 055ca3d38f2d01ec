"""Access-token verification: every way a token can be wrong is rejected."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.auth import ALGORITHM
from shared.context import Runtime
from shared.errors import Unauthenticated
from subgraphs.identity import tokens
from tests.conftest import TenantHandle


def _claims(runtime: Runtime, tenant: TenantHandle, **overrides: Any) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {
        "iss": runtime.settings.jwt_issuer,
        "aud": runtime.settings.jwt_audience,
        "sub": str(tenant.admin_id),
        "tid": str(tenant.id),
        "roles": ["admin"],
        "perms": ["identity:admin"],
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return claims


async def _signing_key(owner_engine: AsyncEngine) -> OKPKey:
    async with owner_engine.connect() as conn, AsyncSession(bind=conn) as session:
        return await tokens._current_key(session)


def _sign(key: OKPKey, claims: dict[str, Any], **header: Any) -> str:
    return jwt.encode(
        {"alg": ALGORITHM, "kid": key.kid, **header}, claims, key, algorithms=[ALGORITHM]
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def test_a_real_token_verifies(runtime: Runtime, tenant: TenantHandle) -> None:
    principal = await runtime.verifier.verify(tenant.token)
    assert principal.user_id == tenant.admin_id
    assert principal.tenant_id == tenant.id
    assert "admin" in principal.roles
    assert principal.can("identity:admin")


@pytest.mark.parametrize(
    ("overrides", "case"),
    [
        ({"exp": 1_000_000_000}, "expired"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
    ],
)
async def test_bad_claims_are_rejected(
    runtime: Runtime,
    owner_engine: AsyncEngine,
    tenant: TenantHandle,
    overrides: dict[str, Any],
    case: str,
) -> None:
    key = await _signing_key(owner_engine)
    token = _sign(key, _claims(runtime, tenant, **overrides))
    with pytest.raises(Unauthenticated):
        await runtime.verifier.verify(token)


async def test_bad_signature_is_rejected(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    key = await _signing_key(owner_engine)
    impostor = OKPKey.generate_key("Ed25519", parameters={"kid": key.kid})
    with pytest.raises(Unauthenticated):
        await runtime.verifier.verify(_sign(impostor, _claims(runtime, tenant)))
    head, _body, sig = tenant.token.split(".")
    tampered_body = _b64(json.dumps({**_claims(runtime, tenant), "perms": ["x"]}).encode())
    with pytest.raises(Unauthenticated):
        await runtime.verifier.verify(f"{head}.{tampered_body}.{sig}")


async def test_unknown_kid_is_rejected(runtime: Runtime, tenant: TenantHandle) -> None:
    stranger = OKPKey.generate_key("Ed25519", parameters={"kid": "not-a-key-of-ours"})
    with pytest.raises(Unauthenticated, match="unknown key"):
        await runtime.verifier.verify(_sign(stranger, _claims(runtime, tenant)))


async def test_alg_none_is_rejected(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    key = await _signing_key(owner_engine)
    header = _b64(json.dumps({"alg": "none", "kid": key.kid}).encode())
    body = _b64(json.dumps(_claims(runtime, tenant)).encode())
    with pytest.raises(Unauthenticated):
        await runtime.verifier.verify(f"{header}.{body}.")


async def test_hs256_signed_with_the_public_key_is_rejected(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    """The classic algorithm-confusion attack: HMAC keyed with the published public key."""
    key = await _signing_key(owner_engine)
    public = json.dumps(key.as_dict(private=False)).encode()
    header = _b64(json.dumps({"alg": "HS256", "kid": key.kid, "typ": "JWT"}).encode())
    body = _b64(json.dumps(_claims(runtime, tenant)).encode())
    for secret in (public, key.as_dict(private=False)["x"].encode()):
        sig = _b64(hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest())
        with pytest.raises(Unauthenticated):
            await runtime.verifier.verify(f"{header}.{body}.{sig}")


async def test_garbage_is_rejected(runtime: Runtime) -> None:
    for token in ["", "abc", "a.b.c", "a.b"]:
        with pytest.raises(Unauthenticated):
            await runtime.verifier.verify(token)
    with pytest.raises(Unauthenticated):
        await runtime.verifier.authenticate("Basic dXNlcjpwYXNz")


async def test_rotation_keeps_old_tokens_valid_until_retired(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    old_kid = jwt.decode(
        tenant.token, await _signing_key(owner_engine), algorithms=[ALGORITHM]
    ).header["kid"]
    async with owner_engine.begin() as conn, AsyncSession(bind=conn) as session:
        new_kid = await tokens.rotate_signing_key(session)
        await session.commit()
    try:
        runtime.verifier.forget_keys()
        await runtime.verifier.verify(tenant.token)  # signed by the previous key
        async with runtime.db.transaction(tenant.id) as session:
            issued = await tokens.issue_access_token(
                session,
                user_id=tenant.admin_id,
                tenant=tenant.id,
                roles=["admin"],
                permissions=[],
                issuer=runtime.settings.jwt_issuer,
                audience=runtime.settings.jwt_audience,
                ttl=60,
            )
        header = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))
        assert header["kid"] == new_kid != old_kid
        await runtime.verifier.verify(issued.token)
        async with owner_engine.begin() as conn, AsyncSession(bind=conn) as session:
            assert await tokens.retire_signing_key(session, old_kid)
            await session.commit()
        runtime.verifier.forget_keys()
        with pytest.raises(Unauthenticated):
            await runtime.verifier.verify(tenant.token)
        await runtime.verifier.verify(issued.token)
    finally:
        runtime.verifier.forget_keys()


async def test_a_retired_key_stops_at_once_here_and_within_the_key_cache_elsewhere(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    from shared import auth

    now = [1000.0]

    async def keys() -> list[dict[str, Any]]:
        async with runtime.db.transaction(None, readonly=True) as session:
            return await tokens.public_jwks(session)

    elsewhere = auth.TokenVerifier(
        keys,
        issuer=runtime.settings.jwt_issuer,
        audience=runtime.settings.jwt_audience,
        clock=lambda: now[0],
    )
    auth._VERIFIERS.discard(elsewhere)  # another process hears nothing of our commits
    async with owner_engine.begin() as conn, AsyncSession(bind=conn) as session:
        kid = await tokens.rotate_signing_key(session)
        await session.commit()
    runtime.verifier.forget_keys()
    async with runtime.db.transaction(tenant.id) as session:
        issued = await tokens.issue_access_token(
            session,
            user_id=tenant.admin_id,
            tenant=tenant.id,
            roles=["admin"],
            permissions=[],
            issuer=runtime.settings.jwt_issuer,
            audience=runtime.settings.jwt_audience,
            ttl=60,
        )
    await runtime.verifier.verify(issued.token)
    await elsewhere.verify(issued.token)
    async with owner_engine.begin() as conn, AsyncSession(bind=conn) as session:
        await tokens.rotate_signing_key(session)  # so that another key signs from now on
        assert await tokens.retire_signing_key(session, kid)
        await session.commit()
    with pytest.raises(Unauthenticated, match="unknown key"):
        await runtime.verifier.verify(issued.token)  # no forget_keys() needed here
    now[0] += 59
    await elsewhere.verify(issued.token)  # its key cache (60 s) has not expired yet
    now[0] += 2
    with pytest.raises(Unauthenticated, match="unknown key"):
        await elsewhere.verify(issued.token)
