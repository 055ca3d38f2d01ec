"""Stock's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql import NexoSchema, build_schema
from shared.http import create_subgraph_app
from subgraphs.stock import schema


def build() -> NexoSchema:
    return build_schema(
        query=schema.Query,
        mutation=schema.Mutation,
        types=[schema.Product, schema.Warehouse, schema.StockMove],
    )


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="stock", schema=build(), runtime=runtime)
