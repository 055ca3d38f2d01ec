"""CRM's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.crm.graphql import types
from subgraphs.crm.graphql.mutations import Mutation
from subgraphs.crm.graphql.queries import Query


def build() -> NexoSchema:
    return build_schema(
        query=Query,
        mutation=Mutation,
        types=[types.Customer, types.Contact, types.Deal, types.Lead, types.User],
    )


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="crm", schema=build(), runtime=runtime)
