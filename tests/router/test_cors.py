"""CORS: only the configured origins (`NEXO_CORS_ORIGINS`), credentials only on request
(`NEXO_CORS_CREDENTIALS`); preflights answered; no CORS headers when none is configured."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from router_harness import in_process_transports

from router.app import create_router_app
from router.settings import RouterSettings, cors_origins

APP = "https://app.example.com"
PREFLIGHT = {
    "origin": APP,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type, idempotency-key",
}


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")


def app_with(supergraph_sdl: str, **env: str) -> Any:
    return create_router_app(
        supergraph_sdl, in_process_transports(), settings=RouterSettings.from_env(env)
    )


async def test_no_origins_configured_means_no_cors_headers(supergraph_sdl: str) -> None:
    async with client(app_with(supergraph_sdl)) as c:
        preflight = await c.options("/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 204
        assert preflight.headers["allow"] == "GET, POST, OPTIONS"
        assert not [h for h in preflight.headers if h.startswith("access-control-")]
        posted = await c.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"origin": APP}
        )
        assert posted.json() == {"data": {"me": {"name": "Ada"}}}
        assert not [h for h in posted.headers if h.startswith("access-control-")]


async def test_an_allowed_origin_gets_its_preflight_and_response_headers(
    supergraph_sdl: str,
) -> None:
    app = app_with(supergraph_sdl, NEXO_CORS_ORIGINS=f" {APP}, http://localhost:5173 ,")
    async with client(app) as c:
        preflight = await c.options("/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == APP
        assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {
            "GET",
            "POST",
        }
        allowed = preflight.headers["access-control-allow-headers"].lower()
        for header in ("authorization", "content-type", "idempotency-key", "x-request-id"):
            assert header in allowed
        assert preflight.headers["access-control-max-age"] == "600"
        assert "access-control-allow-credentials" not in preflight.headers

        posted = await c.post(
            "/graphql",
            json={"query": "{ me { name } }"},
            headers={"origin": "http://localhost:5173", "authorization": "Bearer t"},
        )
        assert posted.json() == {"data": {"me": {"name": "Ada"}}}
        assert posted.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert "x-request-id" in posted.headers["access-control-expose-headers"]
        assert "origin" in posted.headers["vary"].lower()
        assert "access-control-allow-credentials" not in posted.headers


async def test_another_origin_is_refused(supergraph_sdl: str) -> None:
    async with client(app_with(supergraph_sdl, NEXO_CORS_ORIGINS=APP)) as c:
        evil = {**PREFLIGHT, "origin": "https://evil.example"}
        preflight = await c.options("/graphql", headers=evil)
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        posted = await c.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"origin": evil["origin"]}
        )
        assert "access-control-allow-origin" not in posted.headers
        # A header the router does not take is not allowed either.
        odd = {**PREFLIGHT, "access-control-request-headers": "x-forwarded-for"}
        assert (await c.options("/graphql", headers=odd)).status_code == 400


async def test_credentials_only_when_asked_for(supergraph_sdl: str) -> None:
    app = app_with(supergraph_sdl, NEXO_CORS_ORIGINS=APP, NEXO_CORS_CREDENTIALS="true")
    async with client(app) as c:
        preflight = await c.options("/graphql", headers=PREFLIGHT)
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert preflight.headers["access-control-allow-origin"] == APP


async def test_production_without_get_allows_post_only(supergraph_sdl: str) -> None:
    app = app_with(supergraph_sdl, NEXO_ENV="production", NEXO_CORS_ORIGINS=APP)
    async with client(app) as c:
        preflight = await c.options(
            "/graphql", headers={**PREFLIGHT, "access-control-request-method": "GET"}
        )
        assert preflight.status_code == 400
        assert (await c.options("/graphql")).headers["allow"] == "POST, OPTIONS"
        assert (await c.options("/graphql", headers=PREFLIGHT)).status_code == 200


def test_origins_are_checked() -> None:
    assert cors_origins(None) == ()
    assert cors_origins("") == ()
    assert cors_origins("*") == ("*",)
    assert cors_origins("https://a.example,http://127.0.0.1:8080") == (
        "https://a.example",
        "http://127.0.0.1:8080",
    )
    for bad in ("https://a.example/", "a.example", "https://A.example", "*,https://a.example"):
        with pytest.raises(ValueError, match="is not an origin"):
            cors_origins(bad)
    with pytest.raises(ValueError, match="name the origins instead"):
        RouterSettings.from_env({"NEXO_CORS_ORIGINS": "*", "NEXO_CORS_CREDENTIALS": "true"})
    with pytest.raises(ValueError, match="NEXO_CORS_CREDENTIALS must be true or false"):
        RouterSettings.from_env({"NEXO_CORS_CREDENTIALS": "maybe"})
