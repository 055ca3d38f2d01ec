"""OAuth2 client credentials (RFC 6749 4.4) over real HTTP: service clients, the token
endpoint and its 5.2 errors, rotation and revocation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import TenantHandle

FIELDS = "client { clientId name permissions revokedAt } clientSecret errors { field code }"
CREATE = (
    f"mutation($i: CreateServiceClientInput!) {{ createServiceClient(input: $i) {{ {FIELDS} }} }}"
)
ROTATE = (
    f"mutation($i: ServiceClientInput!) {{ rotateServiceClientSecret(input: $i) {{ {FIELDS} }} }}"
)
REVOKE = f"mutation($i: ServiceClientInput!) {{ revokeServiceClient(input: $i) {{ {FIELDS} }} }}"
USERS = "{ users(first: 1) { edges { node { id } } } }"


async def gql(url: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as c:
        r = await c.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    return dict(r.json())


async def token(
    url: str, data: dict[str, str], auth: tuple[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as c:
        return await c.post("/oauth/token", data=data, auth=auth)


@pytest.fixture
async def client(identity_url: str, tenant: TenantHandle) -> dict[str, Any]:
    r = await gql(
        identity_url,
        CREATE,
        {"i": {"name": "Exporter", "permissions": ["identity:read", "crm:read"]}},
        tenant.token,
    )
    payload = r["data"]["createServiceClient"]
    assert payload["errors"] == []
    return dict(payload)


async def test_client_credentials_by_basic_and_by_form(
    identity_url: str,
    client: dict[str, Any],
) -> None:
    cid, secret = client["client"]["clientId"], client["clientSecret"]
    assert client["client"]["permissions"] == ["crm:read", "identity:read"]
    basic = await token(identity_url, {"grant_type": "client_credentials"}, auth=(cid, secret))
    assert basic.status_code == 200, basic.text
    body = basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["scope"] == "crm:read identity:read"
    assert basic.headers["cache-control"] == "no-store"
    users = await gql(identity_url, USERS, {}, body["access_token"])
    assert "errors" not in users, users
    form = await token(
        identity_url,
        {
            "grant_type": "client_credentials",
            "client_id": cid,
            "client_secret": secret,
            "scope": "crm:read",
        },
    )
    assert form.status_code == 200 and form.json()["scope"] == "crm:read"
    narrowed = await gql(identity_url, USERS, {}, form.json()["access_token"])
    assert narrowed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A client's token is not a user's: it cannot enrol MFA.
    me = await gql(
        identity_url, "mutation { beginTotpEnrolment { secret } }", {}, body["access_token"]
    )
    assert me["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_token_endpoint_errors(
    identity_url: str,
    client: dict[str, Any],
    other_tenant: TenantHandle,
) -> None:
    cid, secret = client["client"]["clientId"], client["clientSecret"]
    cases: list[tuple[dict[str, str], tuple[str, str] | None, int, str]] = [
        ({"grant_type": "client_credentials"}, (cid, "wrong"), 401, "invalid_client"),
        (
            {"grant_type": "client_credentials"},
            (f"{other_tenant.id}.{cid.split('.')[1]}", secret),
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials"}, ("garbage", secret), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "password"}, (cid, secret), 400, "unsupported_grant_type"),
        (
            {"grant_type": "client_credentials", "scope": "identity:admin"},
            (cid, secret),
            400,
            "invalid_scope",
        ),
        ({}, (cid, secret), 400, "invalid_request"),
    ]
    for data, auth, status, error in cases:
        r = await token(identity_url, data, auth)
        assert (r.status_code, r.json()) == (status, {"error": error}), (data, auth)
    wrong = await token(identity_url, {"grant_type": "client_credentials"}, auth=(cid, "wrong"))
    assert wrong.headers["www-authenticate"].startswith("Basic")
    async with httpx.AsyncClient(base_url=identity_url) as c:
        as_json = await c.post(
            "/oauth/token", json={"grant_type": "client_credentials"}, auth=(cid, secret)
        )
    assert (as_json.status_code, as_json.json()) == (400, {"error": "invalid_request"})


async def test_rotation_and_revocation(
    identity_url: str,
    client: dict[str, Any],
    tenant: TenantHandle,
    other_tenant: TenantHandle,
) -> None:
    cid, old = client["client"]["clientId"], client["clientSecret"]
    grant = {"grant_type": "client_credentials"}
    issued = (await token(identity_url, grant, auth=(cid, old))).json()["access_token"]

    foreign = await gql(identity_url, ROTATE, {"i": {"clientId": cid}}, other_tenant.token)
    assert foreign["data"]["rotateServiceClientSecret"]["errors"] == [
        {"field": "input.clientId", "code": "NOT_FOUND"}
    ]
    rotated = (await gql(identity_url, ROTATE, {"i": {"clientId": cid}}, tenant.token))["data"][
        "rotateServiceClientSecret"
    ]
    new = rotated["clientSecret"]
    assert rotated["errors"] == [] and new != old
    assert (await token(identity_url, grant, auth=(cid, old))).json() == {"error": "invalid_client"}
    fresh = await token(identity_url, grant, auth=(cid, new))
    assert fresh.status_code == 200
    await asyncio.sleep(0)  # revocations reach the verifier through the database
    assert (await gql(identity_url, USERS, {}, issued))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )

    revoked = (await gql(identity_url, REVOKE, {"i": {"clientId": cid}}, tenant.token))["data"][
        "revokeServiceClient"
    ]
    assert revoked["errors"] == [] and revoked["client"]["revokedAt"]
    after = await token(identity_url, grant, auth=(cid, new))
    assert (after.status_code, after.json()) == (401, {"error": "invalid_client"})
    again = await gql(identity_url, REVOKE, {"i": {"clientId": cid}}, tenant.token)
    assert again["data"]["revokeServiceClient"]["errors"] == [
        {"field": "input.clientId", "code": "NOT_FOUND"}
    ]
    refused = await gql(
        identity_url, CREATE, {"i": {"name": "x", "permissions": ["nope:x"]}}, tenant.token
    )
    assert refused["data"]["createServiceClient"]["errors"] == [
        {"field": "input.permissions", "code": "UNKNOWN_PERMISSION"}
    ]
