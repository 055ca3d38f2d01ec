"""The benchmark's shape (`bench_testgraphs`: the Guild's four-subgraph federation
benchmark) answered in full: list entity jumps three deep, @requires at each product,
every object where the data says, with and without in-flight sharing.
(bench/router.py also checks that Hive Gateway gives the same data before measuring.)"""

from __future__ import annotations

import asyncio
from typing import Any

import bench_testgraphs as bg
import pytest
from router_harness import strawberry_executor, subgraph_sdl

from router.compose import compose
from router.gateway import Router
from router.limits import OperationLimits
from router.supergraph import load_supergraph
from router.transport import InProcessTransport


def product(upc: str, deep: bool) -> dict[str, Any]:
    p = bg.PRODUCTS[upc]
    out: dict[str, Any] = {
        "inStock": int(upc) % 3 != 0,
        "name": p["name"],
        "price": p["price"],
        "shippingEstimate": 0 if p["price"] > 1000 else p["weight"] // 2,
        "upc": upc,
        "weight": p["weight"],
    }
    if deep:
        out["reviews"] = [
            {**review(r), "author": user(r["author"], reviews=True)}
            for r in bg.REVIEWS
            if r["product"] == upc
        ]
    return out


def review(r: dict[str, str]) -> dict[str, Any]:
    return {"id": r["id"], "body": r["body"]}


def user(uid: str, reviews: bool) -> dict[str, Any]:
    u = bg.USERS[uid]
    out: dict[str, Any] = {"id": uid, "username": u["username"], "name": u["name"]}
    if reviews:
        out["reviews"] = [
            {**review(r), "product": product(r["product"], deep=False)}
            for r in bg.REVIEWS
            if r["author"] == uid
        ]
    return out


def expected() -> dict[str, Any]:
    users = []
    for uid in bg.USERS:
        top = user(uid, reviews=False)
        top["reviews"] = [
            {**review(r), "product": product(r["product"], deep=True)}
            for r in bg.REVIEWS
            if r["author"] == uid
        ]
        users.append(top)
    top_products = []
    for upc in list(bg.PRODUCTS)[:5]:
        found = product(upc, deep=False)
        found["reviews"] = [
            {**review(r), "author": user(r["author"], reviews=True)}
            for r in bg.REVIEWS
            if r["product"] == upc
        ]
        top_products.append(found)
    return {"users": users, "topProducts": top_products}


@pytest.fixture(scope="module")
def bench_sdl() -> str:
    services = [
        {"name": n, "url": f"http://{n}/graphql", "sdl": subgraph_sdl(s)}
        for n, s in bg.SCHEMAS.items()
    ]
    return compose(services).supergraph_sdl


@pytest.mark.parametrize("share", [True, False])
async def test_the_benchmark_query_is_answered_in_full(bench_sdl: str, share: bool) -> None:
    calls: list[str] = []

    def counted(name: str) -> Any:
        run = strawberry_executor(bg.SCHEMAS[name])

        async def execute(request: dict[str, Any], headers: Any) -> dict[str, Any]:
            calls.append(name)
            await asyncio.sleep(0.01)  # in flight together, so sharing can happen
            answer: dict[str, Any] = await run(request, headers)
            return answer

        return execute

    router = Router(
        load_supergraph(bench_sdl),
        {n: InProcessTransport(counted(n)) for n in bg.SCHEMAS},
        deduplicate=share,
        limits=OperationLimits(cost=10_000_000),
    )
    results = await asyncio.gather(*(router.execute(bg.QUERY) for _ in range(4)))
    want = expected()
    for result in results:
        assert result.body == {"data": want}
    # Nine subgraph fetches per request; four identical requests share them when on.
    assert len(calls) == (9 if share else 36)
