"""Builds the process-wide `Runtime` every subgraph shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL

from shared.auth import TokenVerifier
from shared.context import Runtime
from shared.db import Database
from shared.settings import Settings
from subgraphs.identity import api as tokens


def build_runtime(
    settings: Settings, app_url: URL | str, *, pool_size: int | None = None
) -> Runtime:
    db = Database(app_url, pool_size=pool_size or settings.pool_size)

    async def public_keys() -> list[dict[str, Any]]:
        async with db.transaction(None, readonly=True) as session:
            return await tokens.public_jwks(session)

    verifier = TokenVerifier(
        public_keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return Runtime(settings=settings, db=db, verifier=verifier)
