"""The subgraphs NEXO serves, with their ports from the original service map."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette

from shared.context import Runtime
from shared.graphql.schema import NexoSchema


@dataclass(frozen=True, slots=True)
class SubgraphSpec:
    name: str
    port: int
    module: str

    def _app_module(self) -> object:
        return importlib.import_module(f"{self.module}.app")

    def build_schema(self) -> NexoSchema:
        build: Callable[[], NexoSchema] = self._app_module().build  # type: ignore[attr-defined]
        return build()

    def create_app(self, runtime: Runtime) -> Starlette:
        create: Callable[[Runtime], Starlette] = self._app_module().create_app  # type: ignore[attr-defined]
        return create(runtime)


SUBGRAPHS: tuple[SubgraphSpec, ...] = (
    SubgraphSpec("identity", 3001, "subgraphs.identity"),
    SubgraphSpec("crm", 3002, "subgraphs.crm"),
    SubgraphSpec("stock", 3003, "subgraphs.stock"),
    SubgraphSpec("sales", 3004, "subgraphs.sales"),
    SubgraphSpec("purchases", 3005, "subgraphs.purchases"),
    SubgraphSpec("production", 3006, "subgraphs.production"),
    SubgraphSpec("notifications", 3007, "subgraphs.notifications"),
)
"""In dependency order; later domains append themselves here as they land."""

ROUTER_PORT = 3000
