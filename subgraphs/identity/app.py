"""Identity's schema and ASGI app (with the JWKS route the other processes verify by)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.identity import service_clients, tokens
from subgraphs.identity.graphql.mutations import Mutation
from subgraphs.identity.graphql.queries import Query
from subgraphs.identity.graphql.types import Tenant, User


def build() -> NexoSchema:
    return build_schema(query=Query, mutation=Mutation, types=[User, Tenant])


def jwks_route(runtime: Runtime) -> Route:
    async def jwks(_: Request) -> Response:
        async with runtime.db.transaction(None, readonly=True) as session:
            keys = await tokens.public_jwks(session)
        return JSONResponse({"keys": keys}, headers={"cache-control": "public, max-age=60"})

    return Route("/.well-known/jwks.json", jwks)


def _oauth_error(error: str, status: int = 400) -> Response:
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = 'Basic realm="nexo"'
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not sep:
        return None
    return unquote_plus(user), unquote_plus(password)


def oauth_token_route(runtime: Runtime) -> Route:
    """RFC 6749 4.4: `grant_type=client_credentials`; the client authenticates by HTTP
    Basic or by `client_id`/`client_secret` form fields; errors as in 5.2."""

    async def token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return _oauth_error("invalid_request")
        try:
            pairs = parse_qsl((await request.body()).decode(), strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return _oauth_error("invalid_request")
        fields = dict(pairs)
        if len(fields) != len(pairs):  # RFC 6749 3.2: no parameter twice
            return _oauth_error("invalid_request")
        basic = _basic(request)
        if basic is not None and "client_secret" in fields:
            return _oauth_error("invalid_request")
        client_id, client_secret = basic or (
            fields.get("client_id", ""),
            fields.get("client_secret", ""),
        )
        if not client_id or not client_secret:
            return _oauth_error("invalid_client", 401)
        if fields.get("grant_type") != "client_credentials":
            return _oauth_error(
                "unsupported_grant_type" if fields.get("grant_type") else "invalid_request"
            )
        scope = fields["scope"].split() if fields.get("scope") else None
        try:
            async with runtime.db.transaction(None) as session:
                granted = await service_clients.grant(
                    session,
                    runtime.settings,
                    client_id=client_id,
                    client_secret=client_secret,
                    scope=scope,
                )
        except service_clients.InvalidClient:
            return _oauth_error("invalid_client", 401)
        except service_clients.InvalidScope:
            return _oauth_error("invalid_scope")
        return JSONResponse(
            {
                "access_token": granted.access_token,
                "token_type": "Bearer",
                "expires_in": granted.expires_in,
                "scope": " ".join(granted.scope),
            },
            headers={"cache-control": "no-store", "pragma": "no-cache"},
        )

    return Route("/oauth/token", token, methods=["POST"])


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(
        name="identity",
        schema=build(),
        runtime=runtime,
        extra_routes=[jwks_route(runtime), oauth_token_route(runtime)],
    )
