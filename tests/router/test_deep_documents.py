"""Deeply nested documents get a GraphQL answer or a GraphQL error, never a plain 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from router_harness import in_process_transports

from router.app import create_router_app
from router.limits import OperationLimits

# What is tested here is the machinery behind the limits, so the limits are off.
OFF = OperationLimits.unlimited()

# graphql-core 3.3.2 refuses documents whose selection sets nest deeper than this.
PARSER_MAX_DEPTH = 200


def chain(pairs: int) -> str:
    """`topReviews > product > (reviews > product) * pairs`, all in the reviews
    subgraph: 3 + 2 * pairs nested selection sets."""
    inner = "id"
    for _ in range(pairs):
        inner = f"reviews(first: 1) {{ product {{ {inner} }} }}"
    return f"{{ topReviews(first: 1) {{ product {{ {inner} }} }} }}"


def chain_answer(pairs: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"id": "1"}
    for _ in range(pairs):
        inner = {"reviews": [{"product": inner}]}
    return {"topReviews": [{"product": inner}]}


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")


async def test_a_document_nested_300_levels_is_a_clean_graphql_error(
    supergraph_sdl: str,
) -> None:
    async with client(create_router_app(supergraph_sdl, in_process_transports(), limits=OFF)) as c:
        response = await c.post("/graphql", json={"query": chain(150)})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert "nested too deeply" in error["message"]
    # With the limits on (the default) it is refused before the parser goes that deep.
    async with client(create_router_app(supergraph_sdl, in_process_transports())) as c:
        response = await c.post("/graphql", json={"query": chain(150)})
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_COMPLEX"


async def test_a_document_as_deep_as_the_parser_allows_is_answered(supergraph_sdl: str) -> None:
    # The reviews subgraph is stood in for: Strawberry cannot answer this deep itself,
    # and what is tested is the router's planning, merging, shaping and encoding.
    pairs = (PARSER_MAX_DEPTH - 3) // 2

    class DeepReviews:
        async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> Any:
            return {"data": chain_answer(pairs)}

    transports = {**in_process_transports(), "reviews": DeepReviews()}
    async with client(create_router_app(supergraph_sdl, transports, limits=OFF)) as c:
        response = await c.post("/graphql", json={"query": chain(pairs)})
    assert response.status_code == 200
    assert response.json() == {"data": chain_answer(pairs)}
