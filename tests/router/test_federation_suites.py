"""Issue 16's federation scenarios (`fed_suites`), over both transports, against the
exact expected answers and against Hive Gateway serving the same supergraph.

The supergraphs are composed by `@theguild/federation-composition` (by ours where a
suite says so: a set of subgraphs the guild composer refuses); where our own
composition composes a suite too, the router serving our supergraph answers the same.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fed_harness import SuiteEnv
from fed_suites import SUITES, Case, Suite

CASES = [(suite, case) for suite in SUITES for case in suite.cases]
IDS = [f"{suite.name}.{case.name}" for suite, case in CASES]


def check(body: dict[str, Any], case: Case, *, ours: bool = True) -> None:
    assert "data" in body, body
    assert body["data"] == case.data, body
    assert bool(body.get("errors")) == case.errors, body
    if ours and case.mentions is not None:
        assert case.mentions in body["errors"][0]["message"], body


@pytest.mark.parametrize("transport", ["in-process", "http"])
@pytest.mark.parametrize(("suite", "case"), CASES, ids=IDS)
async def test_expected_answer(
    fed_envs: dict[str, SuiteEnv], suite: Suite, case: Case, transport: str, shaping_mode: str
) -> None:
    router = fed_envs[suite.name].routers[transport]
    result = await router.execute(case.query, case.variables, None, {})
    check(result.body, case)


@pytest.mark.slow
@pytest.mark.parametrize(("suite", "case"), CASES, ids=IDS)
async def test_hive_gateway_answers_the_same(
    fed_envs: dict[str, SuiteEnv], hive_client: httpx.AsyncClient, suite: Suite, case: Case
) -> None:
    env = fed_envs[suite.name]
    theirs = await env.hive(hive_client, case.query, case.variables)
    if case.hive_differs is not None:
        pytest.skip(f"Hive Gateway differs: {case.hive_differs}")
    check(theirs, case, ours=False)
    ours = (await env.routers["http"].execute(case.query, case.variables, None, {})).body
    assert ours["data"] == theirs["data"]
    assert bool(ours.get("errors")) == bool(theirs.get("errors"))


@pytest.mark.parametrize(
    ("suite", "case"),
    [c for c in CASES if c[0].ours],
    ids=[i for i, c in zip(IDS, CASES, strict=True) if c[0].ours],
)
async def test_our_composition_answers_the_same(
    fed_envs: dict[str, SuiteEnv], suite: Suite, case: Case
) -> None:
    env = fed_envs[suite.name]
    assert env.ours_sdl is not None, env.ours_error
    result = await env.routers["ours-composed"].execute(case.query, case.variables, None, {})
    check(result.body, case)
