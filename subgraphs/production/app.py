"""Production's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.production.graphql.mutations import Mutation
from subgraphs.production.graphql.queries import Query
from subgraphs.production.graphql.types import TYPES


def build() -> NexoSchema:
    return build_schema(query=Query, mutation=Mutation, types=TYPES)


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="production", schema=build(), runtime=runtime)
