"""Federation features beyond the scenario tables: progressive @override labels per
request, @fromContext behind its flag, and composition's satisfiability check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fed_harness import SuiteEnv, guild_compose_many
from fed_suites import CONTEXTS, FUZZ_SHOP, REFUSALS, SPLIT_ROOT_VALUE, VALUE_TYPE_THROUGH_PARENT
from router_harness import npm_ready

from router.compose import CompositionError, compose
from router.compose_satisfiability import unsatisfiable
from router.gateway import Router
from router.supergraph import SupergraphError, load_supergraph
from router.transport import InProcessTransport, Transport


def transports(env: SuiteEnv) -> dict[str, Transport]:
    return {s.name: InProcessTransport(s.execute) for s in env.suite.subgraphs}


async def data(router: Router, query: str) -> Any:
    body = (await router.execute(query, None, None, {})).body
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize("transport", ["in-process", "http"])
async def test_a_configured_label_activates_its_override(
    fed_envs: dict[str, SuiteEnv], transport: str
) -> None:
    env = fed_envs["progressive_override"]
    default = env.routers[transport]
    assert await data(default, "{ products { tier } }") == {"products": [{"tier": "old"}]}
    beta = Router(env.supergraph, transports(env), override_labels=["beta"])
    assert await data(beta, "{ products { tier } }") == {"products": [{"tier": "new"}]}


async def test_percent_labels_are_drawn_per_request_and_planned_apart(
    fed_envs: dict[str, SuiteEnv],
) -> None:
    env = fed_envs["progressive_override"]
    sdl = env.supergraph_sdl.replace("percent(0)", "percent(50)")
    # One draw per percent label per request: percent(100) and percent(50).
    draws = iter([0.7, 0.7, 0.2, 0.2, 0.7, 0.7])
    router = Router(load_supergraph(sdl), transports(env), rng=lambda: next(draws))
    query = "{ products { name } }"
    assert await data(router, query) == {"products": [{"name": "old table"}]}
    assert await data(router, query) == {"products": [{"name": "new table"}]}
    assert await data(router, query) == {"products": [{"name": "old table"}]}
    # One plan per set of active labels, each reused.
    assert (router.plans.misses, router.plans.hits) == (2, 1)


def test_from_context_is_served_only_with_its_flag(
    fed_envs: dict[str, SuiteEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    sdl = fed_envs[CONTEXTS.name].supergraph_sdl
    monkeypatch.delenv("NEXO_ROUTER_FROM_CONTEXT", raising=False)
    with pytest.raises(SupergraphError, match="NEXO_ROUTER_FROM_CONTEXT=1"):
        load_supergraph(sdl)
    monkeypatch.setenv("NEXO_ROUTER_FROM_CONTEXT", "1")
    assert load_supergraph(sdl).contexts == {"User": {"people__userContext"}}


def _services(suite: Any) -> list[dict[str, str]]:
    return [
        {"name": s.name, "url": f"http://{s.name}/graphql", "sdl": s.sdl} for s in suite.subgraphs
    ]


def _guild_paths(errors: list[str]) -> set[str]:
    """The query paths in the guild composer's satisfiability errors."""
    found = set()
    for error in errors:
        block = error.split("{", 1)[1].split("\ncannot be satisfied")[0]
        steps = [line.strip().rstrip(" {").strip() for line in block.splitlines()]
        found.add(".".join(s for s in steps if s and s != "}"))
    return found


def test_composition_refuses_what_cannot_be_planned_naming_the_path() -> None:
    with pytest.raises(CompositionError) as caught:
        compose(_services(REFUSALS))
    issues = [str(i) for i in caught.value.issues]
    assert "[shop] Product.name: the query `products.name` cannot be planned: cannot reach" in (
        "\n".join(issues)
    )
    assert any(
        i.startswith("[accounts] User.score: the query `accounts.... on User.score`")
        for i in issues
    )


def test_satisfiability_agrees_with_the_guild_composer() -> None:
    npm_ready()
    suites = [REFUSALS, VALUE_TYPE_THROUGH_PARENT, SPLIT_ROOT_VALUE, FUZZ_SHOP]
    theirs = guild_compose_many({s.name: _services(s) for s in suites})
    for suite in suites:
        sdl = compose(_services(suite), check_satisfiability=False).supergraph_sdl
        ours = {re.sub(r"\.\.\. on \w+\.", "", u.path) for u in unsatisfiable(load_supergraph(sdl))}
        guild = {
            re.sub(r"\.\.\. on \w+\.", "", p) for p in _guild_paths(theirs[suite.name]["errors"])
        }
        # Ours also names the interface's own field (`accounts.score`) for each
        # implementation that cannot have it; the guild composer names the latter.
        assert guild <= ours, (suite.name, ours, guild)
        assert bool(ours) == bool(guild), suite.name


def services_of(node: Any) -> list[str]:
    from router import plan as p

    if node is None:
        return []
    if isinstance(node, p.Fetch):
        return [node.service]
    if isinstance(node, p.Flatten):
        return [node.node.service]
    if isinstance(node, p.Unreachable):
        return []
    return [s for child in node.nodes for s in services_of(child)]


@pytest.mark.parametrize(
    ("suite", "query", "services"),
    [
        # `listing` provides price on its shareable root field: one fetch, not three.
        ("shareable_root_provides", "{ products { id name price } }", ["listing"]),
        ("shareable_root_provides", "{ products { name stock } }", ["listing", "pricing"]),
        # Info has no key: its field elsewhere is asked through Product's.
        ("value_type_through_parent", "{ products { info { color } } }", ["sizes", "colours"]),
        # The two halves of a shareable root value type, in parallel.
        ("split_root_value", "{ config { region version } }", ["west", "east"]),
        # Two requirements of one field with different arguments: two representations.
        ("requires_arguments", "{ products { label euros } }", ["prices", "labels", "labels"]),
    ],
)
async def test_plans_take_the_fewest_fetches(
    fed_envs: dict[str, SuiteEnv], suite: str, query: str, services: list[str]
) -> None:
    result = await fed_envs[suite].routers["in-process"].execute(query, None, None, {})
    assert "errors" not in result.body, result.body
    assert result.plan is not None
    assert sorted(services_of(result.plan.node)) == sorted(services)
