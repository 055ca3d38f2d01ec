"""Sales' schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql import NexoSchema, build_schema
from shared.http import create_subgraph_app
from subgraphs.sales import mutations, objects, schema


def build() -> NexoSchema:
    return build_schema(query=schema.Query, mutation=mutations.Mutation, types=objects.TYPES)


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="sales", schema=build(), runtime=runtime)
