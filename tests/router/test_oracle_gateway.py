"""Hive Gateway, serving the guild composer's supergraph over the same HTTP subgraphs,
returns the same `data` as our router for every test query."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from router_harness import ORACLE, guild_compose

from router.gateway import Router

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("{ products { name stock: price reviews { stars } } }", {}),
    ("{ topReviews(first: 2) { author { name favoriteProduct { name } } } }", {}),
    ("{ topReviews(first: 2) { product { shippingEstimate } } }", {}),
    ("{ topReviews(first: 1) { product { name } } }", {}),
    ("{ lowStock { id category sku pkg warehouse { city } } }", {}),
    ("{ topReviews(first: 1) { author { id name } } }", {}),
    ('{ product(id: "2") { price } }', {}),
    ("{ media { __typename title ... on Book { pages } ... on Movie { director } } }", {}),
    ("{ media { id title } }", {}),
    (
        'query { search(term: "a") { __typename ...P ... on Book { title } } } '
        "fragment P on Product { name stock: price }",
        {},
    ),
    ("{ accounts { __typename email reviewCount ... on Admin { level } } }", {}),
    ("{ topReviewers { id reviewCount __typename email ... on Admin { level } } }", {}),
    ("{ lowStock { id barcode } products { barcode } }", {}),
    ("{ warehouses { city shelves { label } } }", {}),
    (
        "query($f: PriceFilter!) { priced(filter: $f) { name } media { ... on Book { releasedOn } } }",
        {"f": {"min": 30, "max": 120}},
    ),
    ('{ a: product(id: "1") { name } b: product(id: "3") { label: name id } }', {}),
    (
        "query Q($id: ID!, $n: Int) { product(id: $id) { reviews(first: $n) { body } } }",
        {"id": "1", "n": 1},
    ),
    (
        'query($yes: Boolean!, $no: Boolean!) { product(id: "1") { name @include(if: $no) '
        "sku @skip(if: $no) reviews @include(if: $yes) { stars } } }",
        {"yes": True, "no": False},
    ),
    (
        '{ __typename product(id: "2") { __typename reviews { __typename author { __typename } } } }',
        {},
    ),
    ('{ a: product(id: "3") { name stock } b: product(id: "1") { stock } }', {}),
]


@pytest.fixture(scope="session")
async def hive_url(
    services: list[dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    composed = guild_compose(services)
    path = Path(tmp_path_factory.mktemp("hive")) / "supergraph.graphql"
    path.write_text(composed["supergraphSdl"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        "node", "gateway.mjs", str(path), str(port), cwd=ORACLE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.startswith(b"listening"), line
    # Keep reading: a full pipe would block the gateway's logging, and with it the gateway.
    drain = asyncio.create_task(proc.stdout.read())
    yield f"http://127.0.0.1:{port}/graphql"
    proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 3)
    except TimeoutError:
        proc.kill()
        await proc.wait()
    await drain


@pytest.mark.slow
async def test_hive_gateway_returns_the_same_data(
    hive_url: str, routers: dict[str, Router]
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for query, variables in QUERIES:
            theirs = (
                await client.post(hive_url, json={"query": query, "variables": variables})
            ).json()
            for name, router in routers.items():
                ours = (await router.execute(query, variables, None, {})).body
                assert ours["data"] == theirs["data"], (name, query, theirs)
