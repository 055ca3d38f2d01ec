"""Differential fuzzing: Hypothesis draws valid operations against the federation
suites' supergraphs, and the router must return Hive Gateway's `data` for each.

The normal suite runs a fixed, derandomized handful of examples; set
`NEXO_ROUTER_FUZZ_EXAMPLES` (and `NEXO_ROUTER_FUZZ_RANDOM=1` for fresh ones) for more,
or run `bench/router_fuzz.py`. Every disagreement found becomes a named case in
`fed_suites` (see `FUZZ_REGRESSIONS` there).

Left out of the drawing: what Hive Gateway 2.15.1 answers wrongly (each is a named
case in `fed_suites` with `hive_differs` saying how), so a disagreement here is ours:
a few fields, and `@skip`/`@include` on key and required fields.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from fed_fuzz import operations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from router_harness import shaping

FUZZED: dict[str, frozenset[tuple[str, str]]] = {
    "empty_selections": frozenset(),
    # Hive cannot type `featured { __typename }` where the subgraph says Book, nor alias
    # apart `code` (String! and String) in nested fragments.
    "type_mismatch": frozenset({("Shelf", "featured"), ("Book", "code"), ("Movie", "code")}),
    "null_keys": frozenset(),
    "aliases": frozenset(),
    # Hive fails a request whose only field under `product` is the provided key.
    "provided_key": frozenset({("Product", "upc")}),
    "value_type_through_parent": frozenset(),
    "split_root_value": frozenset(),
    "requires_arguments": frozenset(),
    "inaccessible_values": frozenset(),
    # Hive takes Media.title from the subgraph Book.title was overridden from.
    "override_implementation": frozenset({("Media", "title")}),
    # Hive answers an internal error for named fragments on User under topAccounts.
    "refusals": frozenset({("User", "score"), ("User", "name")}),
    # Hive leaves Dims.depth null rather than ask the subgraph that has it.
    "fuzz_shop": frozenset({("Dims", "depth")}),
}
EXAMPLES = int(os.environ.get("NEXO_ROUTER_FUZZ_EXAMPLES", "40"))
RANDOM = os.environ.get("NEXO_ROUTER_FUZZ_RANDOM") == "1"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
async def test_router_returns_hive_gateways_data(
    fed_envs: dict[str, Any], hive_client: httpx.AsyncClient, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(FUZZED)), label="suite")
    env = fed_envs[name]
    query, variables = data.draw(
        operations(env.supergraph.api_schema, FUZZED[name], plain=env.key_fields()),
        label="operation",
    )
    router = env.routers["in-process"]
    with shaping("walked"):
        ours = (await router.execute(query, variables, None, {})).body
    with shaping("written out"):
        written = (await router.execute(query, variables, None, {})).body
    theirs = await env.hive(hive_client, query, variables)
    assert ours.get("data") == theirs.get("data"), (name, query, variables, theirs, ours)
    assert written == ours, (name, query, variables, written, ours)
