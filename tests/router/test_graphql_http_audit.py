"""The GraphQL-over-HTTP conformance audit (npm `graphql-http`'s `auditServer`) of the
router served on a loopback port: every MUST, SHOULD and MAY it checks."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from router_harness import ORACLE, AppServer, in_process_transports, npm_ready

from router.app import create_router_app
from router.settings import RouterSettings

AUDITS = 61

# Production turns off GET queries and introspection; these audits use them.
NEEDS_GET = {"5A70", "D6D5", "6A70"}
NEEDS_INTROSPECTION = {"2EA1", "28B9"}  # `__type(name: $name)` with variables


async def audit(settings: RouterSettings, supergraph_sdl: str) -> list[dict[str, Any]]:
    npm_ready()
    app = create_router_app(supergraph_sdl, in_process_transports(), settings=settings)
    async with AppServer(app) as server:
        proc = await asyncio.create_subprocess_exec(
            "node", "audit.mjs", server.url, cwd=ORACLE, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0
    results: list[dict[str, Any]] = json.loads(out)
    return results


def score(results: list[dict[str, Any]]) -> dict[str, str]:
    """'passed/total' per keyword (MUST, SHOULD, MAY)."""
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for r in results:
        level = r["name"].split()[0]
        total[level] += 1
        passed[level] += r["status"] == "ok"
    return {level: f"{passed[level]}/{total[level]}" for level in total}


@pytest.mark.slow
async def test_the_router_passes_every_audit(supergraph_sdl: str) -> None:
    results = await audit(RouterSettings.for_mode(False), supergraph_sdl)
    failed = [(r["id"], r["name"], r["reason"]) for r in results if r["status"] != "ok"]
    assert failed == []
    assert len(results) == AUDITS
    assert score(results) == {"SHOULD": "23/23", "MUST": "13/13", "MAY": "25/25"}


@pytest.mark.slow
async def test_production_fails_only_the_audits_that_need_what_it_turns_off(
    supergraph_sdl: str,
) -> None:
    results = await audit(RouterSettings.for_mode(True), supergraph_sdl)
    failed = {r["id"] for r in results if r["status"] != "ok"}
    assert failed == NEEDS_GET | NEEDS_INTROSPECTION
    enabled = RouterSettings.from_env(
        {"NEXO_ENV": "production", "NEXO_HTTP_GET": "true", "NEXO_INTROSPECTION": "true"}
    )
    results = await audit(enabled, supergraph_sdl)
    assert [r["id"] for r in results if r["status"] != "ok"] == []
