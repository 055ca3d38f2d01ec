"""CRM's schema and ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql import NexoSchema, build_schema
from shared.http import create_subgraph_app
from subgraphs.crm import mutations, objects, schema


def build() -> NexoSchema:
    return build_schema(
        query=schema.Query,
        mutation=mutations.Mutation,
        types=[objects.Customer, objects.Contact, objects.Deal, objects.Lead, objects.User],
    )


def create_app(runtime: Runtime) -> Starlette:
    return create_subgraph_app(name="crm", schema=build(), runtime=runtime)
