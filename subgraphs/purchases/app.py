"""Purchases' schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.purchases.graphql.mutations import Mutation
from subgraphs.purchases.graphql.queries import Query
from subgraphs.purchases.graphql.types import TYPES


def build() -> NexoSchema:
    return build_schema(query=Query, mutation=Mutation, types=TYPES)


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="purchases", schema=build(), runtime=runtime)
