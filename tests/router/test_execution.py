"""Execution details: batching, deduplication, failures, and the plan cache."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from router_harness import in_process_transports

from router.gateway import Router
from router.query_planner import PlanCache
from router.supergraph import Supergraph
from router.transport import HttpTransport, InProcessTransport, Transport


class Recorder:
    def __init__(self, wrapped: Transport) -> None:
        self.wrapped = wrapped
        self.requests: list[dict[str, Any]] = []

    async def fetch(self, request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        # Strawberry pops __typename off representations: keep what was sent.
        self.requests.append(copy.deepcopy(request))
        return await self.wrapped.fetch(request, headers)


async def test_one_entities_request_per_subgraph_with_deduplicated_representations(
    supergraph: Supergraph,
) -> None:
    recorders = {n: Recorder(t) for n, t in in_process_transports().items()}
    router = Router(supergraph, recorders)
    result = await router.execute("{ topReviews { product { name stock: price } } }")
    assert result.body["data"]["topReviews"][3] == {"product": {"name": "Table", "stock": 101}}
    [entities] = recorders["inventory"].requests
    # Four reviews, three distinct products: one request, three representations.
    assert entities["variables"]["representations"] == [
        {"__typename": "Product", "id": "1"},
        {"__typename": "Product", "id": "2"},
        {"__typename": "Product", "id": "3"},
    ]
    assert len(recorders["reviews"].requests) == 1
    assert recorders["products"].requests == []


async def test_a_failing_in_process_subgraph_gives_partial_data(supergraph: Supergraph) -> None:
    async def down(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        raise ConnectionRefusedError("connection refused")

    transports: dict[str, Transport] = dict(in_process_transports())
    transports["reviews"] = InProcessTransport(down)
    router = Router(supergraph, transports)
    result = await router.execute('{ product(id: "1") { name reviews { stars } } me { name } }')
    assert result.body == {
        "errors": [
            {
                "message": "subgraph reviews failed: connection refused",
                "path": ["product", "reviews"],
                "extensions": {"serviceName": "reviews", "code": "SUBGRAPH_FETCH_FAILED"},
            }
        ],
        "data": {"product": None, "me": {"name": "Ada"}},
    }


@pytest.mark.parametrize("kind", ["in-process", "http"])
async def test_a_malformed_answer_is_that_subgraphs_error(
    supergraph: Supergraph, kind: str
) -> None:
    transports: dict[str, Transport] = dict(in_process_transports())
    if kind == "http":
        garbage = httpx.MockTransport(lambda _: httpx.Response(200, text="<html>oops"))
        transports["inventory"] = HttpTransport("http://inventory/graphql", transport=garbage)
    else:

        async def garbage_fn(request: dict[str, Any], headers: Mapping[str, str]) -> Any:
            return ["not", "a", "response"]

        transports["inventory"] = InProcessTransport(garbage_fn)
    router = Router(supergraph, transports)
    result = await router.execute('{ product(id: "2") { name slowStock } }')
    assert result.body["data"] == {"product": {"name": "Chair", "slowStock": None}}
    [error] = result.body["errors"]
    assert error["path"] == ["product", "slowStock"]
    assert error["extensions"]["serviceName"] == "inventory"


async def test_plan_cache_is_a_bounded_lru(supergraph: Supergraph) -> None:
    from graphql import parse

    cache = PlanCache(supergraph, max_size=2)
    queries = ["{ me { name } }", "{ products { name } }", "{ media { id } }"]
    for q in queries[:2]:
        cache.get(q, parse(q), None)
    assert cache.get(queries[0], parse(queries[0]), None)[1] is True
    cache.get(queries[2], parse(queries[2]), None)  # evicts the least recently used
    assert cache.get(queries[1], parse(queries[1]), None)[1] is False
    assert cache.get(queries[0], parse(queries[0]), None)[1] is False
    assert (cache.hits, cache.misses) == (1, 5)


async def test_comments_and_layout_do_not_defeat_the_plan_cache(supergraph: Supergraph) -> None:
    router = Router(supergraph, in_process_transports())
    first = await router.execute("{ me { name } }")
    again = await router.execute("# a comment\n{\n  me {\n    name,\n  }\n}  # another")
    assert (first.cache_hit, again.cache_hit) == (False, True)
    assert again.body == {"data": {"me": {"name": "Ada"}}}
    assert router.plans.misses == 1


async def test_operation_name_selects_the_operation(router: Router) -> None:
    query = "query A { me { name } } query B { lowStock { id } }"
    result = await router.execute(query, None, "B")
    assert result.body == {"data": {"lowStock": [{"id": "2"}]}}
    ambiguous = await router.execute(query)
    assert ambiguous.request_error


async def test_entity_fetches_of_one_step_share_a_request_across_paths(
    supergraph: Supergraph,
) -> None:
    recorders = {n: Recorder(t) for n, t in in_process_transports().items()}
    router = Router(supergraph, recorders)
    result = await router.execute("{ products { price } topReviews { product { price } } }")
    assert result.body == {
        "data": {
            "products": [{"price": 101}, {"price": 41}, {"price": 26}],
            "topReviews": [
                {"product": {"price": 101}},
                {"product": {"price": 41}},
                {"product": {"price": 26}},
                {"product": {"price": 101}},
            ],
        }
    }
    [request] = recorders["inventory"].requests
    assert [r["id"] for r in request["variables"]["representations"]] == ["1", "2", "3"]


async def test_identical_concurrent_queries_share_subgraph_requests(
    supergraph: Supergraph,
) -> None:
    import asyncio

    recorders = {n: Recorder(t) for n, t in in_process_transports().items()}
    router = Router(supergraph, recorders)
    query = "{ topReviews(first: 2) { body author { name } } }"
    # Checked and planned once first: a request that has to wait for the planner's
    # thread could otherwise arrive after the other's fetches are done.
    await router.execute(query)
    for recorder in recorders.values():
        recorder.requests.clear()
    first, second = await asyncio.gather(router.execute(query), router.execute(query))
    expected = {
        "data": {
            "topReviews": [
                {"body": "Sturdy", "author": {"name": "Ada"}},
                {"body": "Wobbly", "author": {"name": "Bob"}},
            ]
        }
    }
    assert first.body == second.body == expected
    assert len(recorders["reviews"].requests) == 1
    assert len(recorders["accounts"].requests) == 1
    # Another caller (other credentials) never shares a request.
    await asyncio.gather(
        router.execute(query, headers={"authorization": "Bearer a"}),
        router.execute(query, headers={"authorization": "Bearer b"}),
    )
    assert len(recorders["reviews"].requests) == 3


async def test_mutations_are_never_shared(supergraph: Supergraph) -> None:
    import asyncio

    import router_testgraphs as tg

    router = Router(supergraph, in_process_transports())
    mutation = 'mutation { addUser(name: "twin") { name } }'
    await asyncio.gather(router.execute(mutation), router.execute(mutation))
    assert tg.MUTATION_LOG == ["user:twin", "user:twin"]


async def test_kept_shaping_plans_follow_the_include_and_skip_variables(
    supergraph: Supergraph,
) -> None:
    router = Router(supergraph, in_process_transports())
    query = (
        "query($a: Boolean!, $b: Boolean!) { topReviews(first: 1) {"
        " body author @include(if: $a) { name } stars @skip(if: $b) } }"
    )
    answers = [
        (await router.execute(query, {"a": a, "b": b})).body
        for a, b in [(True, False), (False, True), (True, False), (False, False)]
    ]
    assert answers == [
        {"data": {"topReviews": [{"body": "Sturdy", "author": {"name": "Ada"}, "stars": 5}]}},
        {"data": {"topReviews": [{"body": "Sturdy"}]}},
        {"data": {"topReviews": [{"body": "Sturdy", "author": {"name": "Ada"}, "stars": 5}]}},
        {"data": {"topReviews": [{"body": "Sturdy", "stars": 5}]}},
    ]
    # One set of plans per set of values the directives read, reused by the third.
    checked = router.documents.get(query)
    assert checked is not None
    assert checked.directive_variables == ("a", "b")
    assert len(checked.shapes) == 3


async def test_a_type_name_that_is_no_string_is_no_internal_error(
    supergraph: Supergraph,
) -> None:
    """A subgraph that answers `"__typename": [...]`: the object has no representation,
    so the fields another subgraph would add are missing, as for any unknown type."""
    transports: dict[str, Transport] = dict(in_process_transports())
    reviews = transports["reviews"]

    async def tampered(request: dict[str, Any], headers: Mapping[str, str]) -> Any:
        answer = await reviews.fetch(request, headers)
        for review in (answer.get("data") or {}).get("topReviews") or ():
            review["author"]["__typename"] = ["User"]
        return answer

    transports["reviews"] = InProcessTransport(tampered)
    result = await Router(supergraph, transports).execute(
        "{ topReviews(first: 1) { body author { name } } }"
    )
    # (It was an internal error: the type name was looked up in a dict.)
    assert result.body == {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field User.name.",
                "path": ["topReviews", 0, "author", "name"],
            }
        ],
        "data": None,
    }


async def test_a_failed_entity_fetch_names_every_place_of_a_shared_entity(
    supergraph: Supergraph,
) -> None:
    async def down(request: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        raise ConnectionRefusedError("connection refused")

    transports: dict[str, Transport] = dict(in_process_transports())
    transports["inventory"] = InProcessTransport(down)
    result = await Router(supergraph, transports).execute(
        "{ topReviews { product { name stock: price } } }"
    )
    # Four reviews of three products: three representations, four places.
    assert sorted(e["path"] for e in result.body["errors"]) == [
        ["topReviews", i, "product", "stock"] for i in range(4)
    ]


async def test_only_a_fetch_that_is_shared_is_written_out_for_copies(
    supergraph: Supergraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from router import executor
    from router.transport import to_json as real

    written: list[Any] = []

    def counting(value: Any) -> bytes:
        written.append(value)
        return real(value)

    monkeypatch.setattr(executor, "to_json", counting)
    router = Router(supergraph, in_process_transports())
    query = "{ topReviews(first: 2) { body author { name } } }"
    alone = await router.execute(query)
    assert written == []  # sharing is on, but no one else wanted these fetches
    first, second = await asyncio.gather(router.execute(query), router.execute(query))
    assert first.body == second.body == alone.body
    assert len(written) == 2  # the reviews and the accounts answer, once each
    # Each request got objects of its own: changing one answer leaves the other alone.
    first.body["data"]["topReviews"][0]["author"]["name"] = "changed"
    assert second.body["data"]["topReviews"][0]["author"]["name"] == "Ada"


async def test_a_request_joins_a_shared_fetch_only_while_its_answer_can_be_copied() -> None:
    import asyncio

    from router.executor import _joinable, _Shared

    loop = asyncio.get_running_loop()

    def shared(state: str) -> _Shared:
        future: asyncio.Future[tuple[dict[str, Any], bytes | None]] = loop.create_future()
        if state == "copied":
            future.set_result(({"data": {}}, b'{"data":{}}'))
        elif state == "answered":
            future.set_result(({"data": {}}, None))
        elif state == "failed":
            future.set_exception(ConnectionError("down"))
        elif state == "cancelled":
            future.cancel()
        return _Shared(future)

    verdicts = {s: _joinable(shared(s)) for s in ("flying", "copied", "answered", "failed")}
    verdicts["cancelled"] = _joinable(shared("cancelled"))
    # In flight, written out for copies, or failed (each waiter reports it): join.
    # An answer nobody copied may be merged into its first request's tree by now, and
    # a cancelled fetch has nothing to give: fetch again.
    assert verdicts == {
        "flying": True,
        "copied": True,
        "answered": False,
        "failed": True,
        "cancelled": False,
    }


async def test_parallel_steps_run_at_once_and_a_failure_cancels_the_rest() -> None:
    import asyncio

    from router.executor import together

    started: list[str] = []
    cancelled: list[str] = []

    async def step(name: str, fail: bool = False) -> None:
        started.append(name)
        try:
            await asyncio.sleep(0 if fail else 0.05)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        if fail:
            raise RuntimeError(name)

    await together([step("a"), step("b"), step("c")])
    assert sorted(started) == ["a", "b", "c"] and cancelled == []

    started.clear()
    with pytest.raises(RuntimeError, match="first"):
        await together([step("first", fail=True), step("second"), step("third")])
    await asyncio.sleep(0.01)  # the others' cancellation runs
    assert sorted(cancelled) == ["second", "third"]
