"""Notifications' schema and ASGI app: the GraphQL subgraph, the documents route, and
(while the app runs under a server with lifespan) the notification worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.notifications import worker
from subgraphs.notifications.graphql import types
from subgraphs.notifications.graphql.mutations import Mutation
from subgraphs.notifications.graphql.queries import Query
from subgraphs.notifications.routes import document_routes


def build() -> NexoSchema:
    return build_schema(
        query=Query,
        mutation=Mutation,
        types=[types.User, types.SalesOrder, types.Invoice],
    )


def create_app(runtime: Runtime) -> Starlette:
    app = create_subgraph_app(
        name="notifications",
        schema=build(),
        runtime=runtime,
        extra_routes=document_routes(runtime),
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with worker.running(runtime.db):
            yield

    app.router.lifespan_context = lifespan
    return app
