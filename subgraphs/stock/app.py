"""Stock's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.http import create_subgraph_app
from shared.graphql.schema import NexoSchema, build_schema
from subgraphs.stock.graphql.mutations import Mutation
from subgraphs.stock.graphql.queries import Query
from subgraphs.stock.graphql.types import Product, StockMove, Warehouse


def build() -> NexoSchema:
    return build_schema(query=Query, mutation=Mutation, types=[Product, Warehouse, StockMove])


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="stock", schema=build(), runtime=runtime)
