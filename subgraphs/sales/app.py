"""Sales' schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.sales.graphql.mutations import Mutation
from subgraphs.sales.graphql.queries import Query
from subgraphs.sales.graphql.types import TYPES


def build() -> NexoSchema:
    return build_schema(query=Query, mutation=Mutation, types=TYPES)


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="sales", schema=build(), runtime=runtime)
