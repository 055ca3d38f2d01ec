"""The router's access edge over NEXO's identity subgraph: subgraphs trust only the
router's credential (direct calls refused, `_entities` too), the client address comes
from the peer or trusted proxies only, Retry-After reaches the client, and trusted
documents (APQ and the safelist, with `nexo operations register`)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from nexo.cli import app as cli
from nexo.graph import subgraph_sdl
from router.app import create_router_app
from router.compose import compose
from router.transport import HttpTransport
from router.trusted_documents import TrustedDocuments, document_hash
from shared import internal_auth
from shared.context import Runtime
from subgraphs.identity.app import build, create_app
from tests.conftest import TenantHandle

SECRET = "a-long-router-secret-for-tests"
ME = "{ me { id } }"


@pytest.fixture(scope="module")
def supergraph() -> str:
    return compose(
        [{"name": "identity", "url": "http://identity/graphql", "sdl": subgraph_sdl(build())}]
    ).supergraph_sdl


def subgraph(runtime: Runtime, **settings: Any) -> Any:
    changed = dataclasses.replace(runtime.settings, internal_secret=SECRET, **settings)
    return create_app(dataclasses.replace(runtime, settings=changed))


@pytest.fixture
async def router(
    runtime: Runtime, supergraph: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("NEXO_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("NEXO_TRUSTED_PROXIES", "10.0.0.0/8")
    sub = HttpTransport(
        "http://identity/graphql", transport=httpx.ASGITransport(app=subgraph(runtime))
    )
    app = create_router_app(supergraph, {"identity": sub})
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client
    await sub.aclose()


async def _direct(runtime: Runtime, body: dict[str, Any], headers: dict[str, str]) -> Any:
    transport = httpx.ASGITransport(app=subgraph(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
        return await client.post("/graphql", json=body, headers=headers)


async def test_a_subgraph_refuses_every_call_that_is_not_the_routers(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    bearer = {"authorization": f"Bearer {tenant.token}"}
    entities = {
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }",
        "variables": {"r": [{"__typename": "User", "id": str(tenant.admin_id)}]},
    }
    for body in ({"query": ME}, entities, {"query": "{ _service { sdl } }"}):
        for headers in (
            bearer,
            {**bearer, internal_auth.HEADER: internal_auth.sign("guessed", client="1.1.1.1")},
            {**bearer, internal_auth.HEADER: internal_auth.sign(None, client="1.1.1.1")},
            {**bearer, internal_auth.HEADER: internal_auth.sign(SECRET, client="1", now=0)},
        ):
            refused = await _direct(runtime, body, headers)
            assert refused.status_code == 403, (body, headers)
            assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    signed = {**bearer, internal_auth.HEADER: internal_auth.sign(SECRET, client="1.1.1.1")}
    assert (await _direct(runtime, entities, signed)).json()["data"]["_entities"][0]["name"]
    # Another gateway in the router's place sends the secret itself.
    shared = {**bearer, internal_auth.HEADER: SECRET}
    assert (await _direct(runtime, {"query": ME}, shared)).json()["data"]["me"]


async def test_through_the_router_calls_pass_and_client_headers_do_not(
    router: httpx.AsyncClient, tenant: TenantHandle
) -> None:
    forged = {
        "authorization": f"Bearer {tenant.token}",
        internal_auth.HEADER: "v1.forged.forged",
        internal_auth.CLIENT_ADDRESS: "10.1.1.1",
    }
    r = await router.post("/graphql", json={"query": ME}, headers=forged)
    assert r.json() == {"data": {"me": {"id": str(tenant.admin_id)}}}


LOGIN = """mutation($i: LoginInput!) { login(input: $i) { errors { code } } }"""


async def _lockout_source(router: httpx.AsyncClient, tenant: TenantHandle, **headers: str) -> str:
    wrong = {"tenant": tenant.slug, "email": tenant.admin_email, "password": "wrong password"}
    for _ in range(10):
        await router.post(
            "/graphql", json={"query": LOGIN, "variables": {"i": wrong}}, headers=headers
        )
    events = await router.post(
        "/graphql",
        json={"query": "{ lockoutEvents { source } }"},
        headers={"authorization": f"Bearer {tenant.token}"},
    )
    return str(events.json()["data"]["lockoutEvents"][0]["source"])


async def test_the_client_address_is_the_peer_unless_a_trusted_proxy_says_otherwise(
    router: httpx.AsyncClient, tenant: TenantHandle, runtime: Runtime
) -> None:
    # The peer (192.0.2.50) is no trusted proxy: its X-Forwarded-For is a claim, not proof.
    assert await _lockout_source(router, tenant, **{"x-forwarded-for": "10.9.9.9"}) == "192.0.2.50"


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    runtime: Runtime, supergraph: str, monkeypatch: pytest.MonkeyPatch, tenant: TenantHandle
) -> None:
    monkeypatch.setenv("NEXO_INTERNAL_SECRET", SECRET)
    monkeypatch.setenv("NEXO_TRUSTED_PROXIES", "10.0.0.0/8")
    sub = HttpTransport(
        "http://identity/graphql", transport=httpx.ASGITransport(app=subgraph(runtime))
    )
    app = create_router_app(supergraph, {"identity": sub})
    proxy = httpx.ASGITransport(app=app, client=("10.0.0.2", 4000))
    async with httpx.AsyncClient(transport=proxy, base_url="http://router") as client:
        # Left-most entries are whatever the client wrote; the proxy appended the peer.
        source = await _lockout_source(
            client, tenant, **{"x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.1"}
        )
    await sub.aclose()
    assert source == "203.0.113.9"


async def test_retry_after_reaches_the_client_through_the_router(
    runtime: Runtime, supergraph: str, monkeypatch: pytest.MonkeyPatch, tenant: TenantHandle
) -> None:
    monkeypatch.setenv("NEXO_INTERNAL_SECRET", SECRET)
    sub = HttpTransport(
        "http://identity/graphql",
        transport=httpx.ASGITransport(app=subgraph(runtime, rate_limit=2)),
    )
    app = create_router_app(supergraph, {"identity": sub})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        bearer = {"authorization": f"Bearer {tenant.token}"}
        answers = [await client.post("/graphql", json={"query": ME}, headers=bearer) for _ in "abc"]
    await sub.aclose()
    assert "retry-after" not in answers[0].headers
    last = answers[-1]
    assert last.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(last.headers["retry-after"]) >= 1


QUERY = "query Me { me { id } }"
HASH = document_hash(QUERY)
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


async def test_automatic_persisted_queries(router: httpx.AsyncClient, tenant: TenantHandle) -> None:
    bearer = {"authorization": f"Bearer {tenant.token}"}
    miss = await router.post("/graphql", json={"extensions": PERSISTED}, headers=bearer)
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    wrong = await router.post(
        "/graphql", json={"query": "{ me { name } }", "extensions": PERSISTED}, headers=bearer
    )
    assert wrong.status_code == 400
    stored = await router.post(
        "/graphql", json={"query": QUERY, "extensions": PERSISTED}, headers=bearer
    )
    assert stored.json() == {"data": {"me": {"id": str(tenant.admin_id)}}}
    hit = await router.post("/graphql", json={"extensions": PERSISTED}, headers=bearer)
    assert hit.json() == stored.json()
    import json

    over_get = await router.get(
        "/graphql", params={"extensions": json.dumps(PERSISTED)}, headers=bearer
    )
    assert over_get.json() == stored.json()
    plain = await router.post("/graphql", json={"query": ME}, headers=bearer)
    assert "data" in plain.json()


async def test_the_safelist_runs_registered_documents_only(
    router: httpx.AsyncClient, tenant: TenantHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    safelist = tmp_path / "trusted.json"
    document = tmp_path / "me.graphql"
    document.write_text(QUERY, encoding="utf-8")
    router.app.state.trusted_documents = TrustedDocuments("safelist", safelist)  # type: ignore[attr-defined]
    bearer = {"authorization": f"Bearer {tenant.token}"}
    refused = await router.post("/graphql", json={"query": QUERY}, headers=bearer)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    learning = await router.post(
        "/graphql", json={"query": QUERY, "extensions": PERSISTED}, headers=bearer
    )
    assert learning.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    monkeypatch.setenv("NEXO_TRUSTED_DOCUMENTS", str(safelist))
    result = CliRunner().invoke(cli, ["operations", "register", str(document)])
    assert result.exit_code == 0, result.output
    assert HASH in result.output
    by_hash = await router.post("/graphql", json={"extensions": PERSISTED}, headers=bearer)
    assert by_hash.json() == {"data": {"me": {"id": str(tenant.admin_id)}}}
    in_full = await router.post("/graphql", json={"query": QUERY}, headers=bearer)
    assert in_full.json() == by_hash.json()
    other = await router.post("/graphql", json={"query": ME}, headers=bearer)
    assert other.json()["errors"][0]["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
