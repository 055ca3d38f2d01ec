"""Bearer-token verification and permission guards.

Access tokens are JWTs signed by identity with Ed25519 keys; public keys come from a
`KeySource` (identity's key table, wired at start-up) and are cached for `cache_seconds`
(60), refreshed at most every few seconds when an unknown `kid` shows up (a key rotated in
another process). A retired key stops verifying at once in the process that retired it
(`forget_keys_everywhere` after its commit) and within `cache_seconds` in the others.

A verified token is then checked against its tenant's revocations (`shared.revocation`),
when the verifier has a `revocations` check: logout, deactivation and role changes stop
a token within seconds instead of at its expiry.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

from shared.db import TenantId
from shared.errors import Forbidden, Unauthenticated

ALGORITHM = "Ed25519"
"""RFC 9864's fully specified name for EdDSA over Ed25519; `none` and HMAC never verify."""

KeySource = Callable[[], Awaitable[list[dict[str, Any]]]]
"""Returns the public JWKs that may verify tokens (active and not yet retired)."""


USER = "user"
CLIENT = "client"
"""The kinds of subject a token speaks for: a person, or a tenant's service client
(OAuth2 client credentials)."""


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    """The subject: a user's id, or a service client's."""
    tenant_id: TenantId
    roles: frozenset[str]
    permissions: frozenset[str]
    token_id: str
    session_id: uuid.UUID | None = None
    """The login (refresh-token family) the token belongs to; None for service clients."""
    version: int = 0
    """The subject's token version when the token was issued (see `shared.revocation`)."""
    kind: str = USER

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_user(self) -> bool:
        return self.kind == USER


class RevocationCheck(Protocol):
    async def refuses(self, principal: Principal) -> bool: ...


_VERIFIERS: weakref.WeakSet[TokenVerifier] = weakref.WeakSet()


def forget_keys_everywhere() -> None:
    """Every verifier of this process reloads its keys before the next verification
    (called once a key's retirement has committed)."""
    for verifier in list(_VERIFIERS):
        verifier.forget_keys()


class TokenVerifier:
    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        cache_seconds: float = 60.0,
        min_refresh_seconds: float = 5.0,
        revocations: RevocationCheck | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = keys
        self._clock = clock
        self.revocations = revocations
        self.issuer = issuer
        self.audience = audience
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._keyset: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._claims = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            tid={"essential": True},
            jti={"essential": True},
        )
        _VERIFIERS.add(self)

    async def _keys(self, *, want_kid: str | None) -> KeySet:
        now = self._clock()
        stale = now - self._loaded_at > self._cache_seconds
        unknown = want_kid is not None and want_kid not in self._kids
        may_refresh = now - self._loaded_at > self._min_refresh
        if self._keyset is None or stale or (unknown and may_refresh):
            async with self._lock:
                if self._keyset is None or self._clock() - self._loaded_at > self._min_refresh:
                    jwks = await self._source()
                    self._keyset = KeySet([OKPKey.import_key(k) for k in jwks])
                    self._kids = frozenset(str(k.get("kid")) for k in jwks)
                    self._loaded_at = self._clock()
        assert self._keyset is not None
        return self._keyset

    def forget_keys(self) -> None:
        self._keyset = None

    async def verify(self, token: str) -> Principal:
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError) as exc:
            raise Unauthenticated("Malformed access token") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("Access token algorithm is not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthenticated("Access token has no key id")
        keyset = await self._keys(want_kid=kid)
        if kid not in self._kids:
            raise Unauthenticated("Access token signed by an unknown key")
        try:
            decoded = jwt.decode(token, keyset, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(f"Invalid access token: {exc}") from exc
        claims = decoded.claims
        try:
            sid = claims.get("sid")
            version = claims.get("ver", 0)
            kind = claims.get("kind", USER)
            if not isinstance(version, int) or kind not in (USER, CLIENT):
                raise ValueError("bad version or kind")
            principal = Principal(
                user_id=uuid.UUID(str(claims["sub"])),
                tenant_id=TenantId(uuid.UUID(str(claims["tid"]))),
                roles=frozenset(_strings(claims.get("roles", []))),
                permissions=frozenset(_strings(claims.get("perms", []))),
                token_id=str(claims["jti"]),
                session_id=None if sid is None else uuid.UUID(str(sid)),
                version=version,
                kind=kind,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise Unauthenticated("Access token claims are malformed") from exc
        if self.revocations is not None and await self.revocations.refuses(principal):
            raise Unauthenticated("Access token has been revoked")
        return principal

    async def authenticate(self, authorization: str | None) -> Principal | None:
        """None when no credentials were presented; raises when they were bad."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization must be 'Bearer <token>'")
        return await self.verify(token.strip())


def _strings(value: object) -> Iterable[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return value


def require(principal: Principal | None, permission: str | None = None) -> Principal:
    """The guard resolvers call: authenticated, and holding `permission` if given."""
    if principal is None:
        raise Unauthenticated("Authentication required")
    if permission is not None and not principal.can(permission):
        raise Forbidden(f"Missing permission {permission}", permission=permission)
    return principal
