"""`/.well-known/` routes of NEXO's public port (the router's), in both serving modes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.context import Runtime
from subgraphs.identity import api as identity


def jwks_route(runtime: Runtime) -> Route:
    """The public keys that verify NEXO's access tokens, read from the database (so it
    answers in split mode while the identity process restarts, too)."""

    async def jwks(_: Request) -> Response:
        async with runtime.db.transaction(None, readonly=True) as session:
            keys = await identity.public_jwks(session)
        return JSONResponse({"keys": keys}, headers={"cache-control": "public, max-age=60"})

    return Route("/.well-known/jwks.json", jwks)
