"""Identity's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.context import Runtime
from shared.graphql import NexoSchema, build_schema
from shared.http import create_subgraph_app
from subgraphs.identity import schema, tokens


def build() -> NexoSchema:
    return build_schema(
        query=schema.Query, mutation=schema.Mutation, types=[schema.User, schema.Tenant]
    )


def jwks_route(runtime: Runtime) -> Route:
    async def jwks(_: Request) -> Response:
        async with runtime.db.transaction(None, readonly=True) as session:
            keys = await tokens.public_jwks(session)
        return JSONResponse({"keys": keys}, headers={"cache-control": "public, max-age=60"})

    return Route("/.well-known/jwks.json", jwks)


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(
        name="identity", schema=build(), runtime=runtime, extra_routes=[jwks_route(runtime)]
    )
