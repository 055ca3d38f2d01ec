"""What the revocation check costs per request: access-token verification with and
without it, on one warm tenant cache holding 1,000 revoked sessions and 1,000 revoked
users (a busy tenant's quarter hour). No database: the cache's loader is in memory, so
the figure is the check's own cost; a cold load is one indexed query per tenant per
`NEXO_REVOCATION_CACHE_SECONDS` in each process.

    .venv/bin/python bench/revocation.py --tokens 20000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import OKPKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.auth import ALGORITHM, TokenVerifier
from shared.db import TenantId
from shared.revocation import RevocationCache, Revocations

ISSUER, AUDIENCE = "https://nexo.bench", "nexo-api"


def _token(key: OKPKey, tenant: uuid.UUID) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(uuid.uuid4()),
        "tid": str(tenant),
        "roles": ["sales"],
        "perms": ["crm:read", "crm:write", "sales:read", "sales:write"],
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "ver": 0,
    }
    return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, claims, key, algorithms=[ALGORITHM])


async def _run(verifier: TokenVerifier, tokens: list[str]) -> float:
    for token in tokens[:100]:  # warm the key and revocation caches
        await verifier.verify(token)
    started = time.perf_counter()
    for token in tokens:
        await verifier.verify(token)
    return time.perf_counter() - started


async def main(count: int) -> None:
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "bench", "alg": ALGORITHM})
    public: list[dict[str, Any]] = [dict(key.as_dict(private=False))]

    async def keys() -> list[dict[str, Any]]:
        return public

    revoked = Revocations(
        frozenset(uuid.uuid4() for _ in range(1000)), {uuid.uuid4(): 3 for _ in range(1000)}
    )

    async def loader(_: TenantId) -> Revocations:
        return revoked

    tenant = uuid.uuid4()
    tokens = [_token(key, tenant) for _ in range(count)]
    plain = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)
    checked = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, revocations=RevocationCache(loader, local=False)
    )
    # Alternate the runs so that both see the same machine.
    base = check = 0.0
    for _ in range(3):
        base += await _run(plain, tokens)
        check += await _run(checked, tokens)
    per_base = base / (3 * count) * 1e6
    per_check = check / (3 * count) * 1e6
    print(f"tokens verified per run: {count}, 3 runs each, alternated")
    print(f"(a) verify without the revocation check: {per_base:7.1f} µs/token")
    print(f"(b) verify with the revocation check:    {per_check:7.1f} µs/token")
    print(f"check costs {per_check - per_base:+.1f} µs/token; (b)/(a) = {per_check / per_base:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=20000)
    asyncio.run(main(parser.parse_args().tokens))
