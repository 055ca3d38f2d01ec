"""NEXO's own graph: the subgraphs' SDL composed by our router into one supergraph, and
the transports that reach each subgraph in-process or over HTTP."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from router.compose import Composition, compose
from router.transport import InProcessTransport, Transport
from shared.context import Runtime
from shared.graphql.http import execute_in_process
from shared.graphql.schema import NexoSchema
from subgraphs.registry import SUBGRAPHS

SDL_QUERY = "{ _service { sdl } }"


@dataclass(frozen=True, slots=True)
class Graph:
    schemas: Mapping[str, NexoSchema]
    composition: Composition


def subgraph_url(name: str, host: str = "127.0.0.1") -> str:
    port = next(s.port for s in SUBGRAPHS if s.name == name)
    return f"http://{host}:{port}/graphql"


def subgraph_sdl(schema: NexoSchema) -> str:
    """The SDL a subgraph publishes at `_service { sdl }`, read the way a router would."""
    result = schema.execute_sync(SDL_QUERY)
    assert result.data is not None, result.errors
    return str(result.data["_service"]["sdl"])


def build_graph(host: str = "127.0.0.1") -> Graph:
    schemas = {spec.name: spec.build_schema() for spec in SUBGRAPHS}
    composition = compose(
        [
            {"name": name, "url": subgraph_url(name, host), "sdl": subgraph_sdl(schema)}
            for name, schema in schemas.items()
        ]
    )
    return Graph(schemas=schemas, composition=composition)


def in_process_transports(graph: Graph, runtime: Runtime) -> dict[str, Transport]:
    return {
        name: InProcessTransport(functools.partial(execute_in_process, runtime, schema))
        for name, schema in graph.schemas.items()
    }
