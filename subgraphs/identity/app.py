"""Identity's schema and ASGI app (with the JWKS route the other processes verify by)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.identity import tokens
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


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(
        name="identity", schema=build(), runtime=runtime, extra_routes=[jwks_route(runtime)]
    )
