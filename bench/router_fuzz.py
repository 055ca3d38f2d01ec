"""Differential fuzzing of the router against Hive Gateway, longer than the test suite's.

    .venv/bin/python bench/router_fuzz.py [--examples 2000] [--seed N] [--suite NAME ...]

Draws valid operations (`tests/router/fed_fuzz.py`) against the federation suites'
supergraphs (`tests/router/fed_suites.py`), runs each through the router (in-process)
and through Hive Gateway serving the same supergraph over the same subgraphs, and
prints every operation whose `data` differ, shortest first. Each one found belongs in
`fed_suites` as a named case: either the router's bug, fixed, or Hive Gateway's, with
`hive_differs` saying what it gets wrong (those so far are all such cases; the drawing
leaves out the fields and directives that hit them most). Needs node and `npm ci` in
tests/router/oracle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "router"
sys.path[:0] = [str(ROOT), str(TESTS)]

from fed_fuzz import operations  # noqa: E402
from fed_harness import SuiteEnv, serve_suites  # noqa: E402
from fed_suites import SUITES  # noqa: E402
from test_federation_fuzz import FUZZED  # noqa: E402

T = TypeVar("T")


class Loop:
    """An event loop on its own thread, serving the suites while Hypothesis draws."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--suite", action="append", default=None, choices=sorted(FUZZED))
    args = parser.parse_args()
    names = sorted(args.suite or FUZZED)
    loop = Loop()
    served = serve_suites([s for s in SUITES if s.name in names])
    envs: dict[str, SuiteEnv] = loop.run(served.__aenter__())
    client = httpx.AsyncClient(timeout=60)
    found: list[tuple[str, str, dict[str, Any], Any, Any]] = []
    runs = 0

    async def compare(name: str, query: str, variables: dict[str, Any]) -> None:
        env = envs[name]
        ours = (await env.routers["in-process"].execute(query, variables, None, {})).body
        theirs = await env.hive(client, query, variables)
        if ours.get("data") != theirs.get("data"):
            found.append((name, query, variables, theirs, ours))

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        nonlocal runs
        name = data.draw(st.sampled_from(names))
        env = envs[name]
        query, variables = data.draw(
            operations(env.supergraph.api_schema, FUZZED[name], plain=env.key_fields())
        )
        loop.run(compare(name, query, variables))
        runs += 1

    if args.seed is not None:
        draw = seed(args.seed)(draw)
    try:
        draw()
    finally:
        loop.run(client.aclose())
        loop.run(served.__aexit__(None, None, None))
    print(f"{runs} operations, {len(found)} disagreements")
    for name, query, variables, theirs, ours in sorted(found, key=lambda f: len(f[1])):
        print(f"\n[{name}] {query}")
        if variables:
            print(f"  variables: {json.dumps(variables)}")
        print(f"  hive:   {json.dumps(theirs)[:400]}")
        print(f"  router: {json.dumps(ours)[:400]}")


if __name__ == "__main__":
    main()
