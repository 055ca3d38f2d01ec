"""Sign-up, login, refresh rotation with reuse detection, logout, throttling."""

from __future__ import annotations

import uuid

import pytest

from shared.context import Runtime
from subgraphs.identity.lockout import MAX_FAILURES
from tests.conftest import GraphQLClient, TenantHandle

AUTH_FIELDS = "accessToken refreshToken expiresIn user { id email name roles { name } } errors { field code message }"
SIGN_UP = f"mutation($i: SignUpInput!) {{ signUp(input: $i) {{ {AUTH_FIELDS} }} }}"
LOGIN = f"mutation($i: LoginInput!) {{ login(input: $i) {{ {AUTH_FIELDS} }} }}"
REFRESH = f"mutation($i: RefreshTokenInput!) {{ refreshToken(input: $i) {{ {AUTH_FIELDS} }} }}"
LOGOUT = "mutation($i: RefreshTokenInput!) { logout(input: $i) { ok errors { field code } } }"
ME = "{ me { id email tenant { slug } roles { name permissions } } }"


async def test_sign_up_creates_tenant_admin_and_logs_in(identity_gql: GraphQLClient) -> None:
    email = f"founder-{uuid.uuid4().hex[:6]}@example.com"
    result = await identity_gql(
        SIGN_UP,
        {
            "i": {
                "tenantName": "Müller & Söhne GmbH",
                "email": email,
                "password": "a" * 12,
                "name": "F",
            }
        },
    )
    payload = result["data"]["signUp"]
    assert payload["errors"] == []
    assert payload["expiresIn"] == 900
    assert payload["user"]["roles"] == [{"name": "admin"}]
    me = await identity_gql(ME, token=payload["accessToken"])
    assert me["data"]["me"]["email"] == email
    assert me["data"]["me"]["tenant"]["slug"].startswith("muller-sohne-gmbh")
    assert "identity:admin" in me["data"]["me"]["roles"][0]["permissions"]


async def test_slugs_stay_unique(identity_gql: GraphQLClient) -> None:
    name = f"Same Name {uuid.uuid4().hex[:6]}"
    slugs = []
    for _ in range(2):
        r = await identity_gql(
            SIGN_UP,
            {
                "i": {
                    "tenantName": name,
                    "email": "x@example.com",
                    "password": "b" * 12,
                    "name": "X",
                }
            },
        )
        slugs.append(r["data"]["signUp"]["user"] and r["data"]["signUp"]["user"]["id"])
    assert all(slugs)
    base = name.lower().replace(" ", "-")
    from tests.subgraphs.identity.helpers import tenant_slugs_like

    assert await tenant_slugs_like(identity_gql.runtime, base) == [base, f"{base}-2"]


async def test_login_and_me(identity_gql: GraphQLClient, tenant: TenantHandle) -> None:
    r = await identity_gql(
        LOGIN,
        {
            "i": {
                "tenant": tenant.slug,
                "email": tenant.admin_email.upper(),
                "password": tenant.admin_password,
            }
        },
    )
    payload = r["data"]["login"]
    assert payload["errors"] == []
    me = await identity_gql(ME, token=payload["accessToken"])
    assert me["data"]["me"]["id"] == str(tenant.admin_id)


async def test_login_failures_are_indistinguishable(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    attempts = [
        {
            "tenant": f"no-such-{uuid.uuid4().hex[:6]}",
            "email": tenant.admin_email,
            "password": tenant.admin_password,
        },
        {"tenant": tenant.slug, "email": "nobody@example.com", "password": tenant.admin_password},
        {"tenant": tenant.slug, "email": tenant.admin_email, "password": "wrong password!"},
    ]
    answers = []
    for attempt in attempts:
        r = await identity_gql(LOGIN, {"i": attempt})
        assert "errors" not in r
        answers.append(r["data"]["login"])
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["errors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "Unknown tenant, email or password",
        }
    ]
    assert answers[0]["accessToken"] is None


async def test_refresh_rotates_and_reuse_revokes_the_family(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    first = tenant.refresh_token
    r1 = (await identity_gql(REFRESH, {"i": {"refreshToken": first}}))["data"]["refreshToken"]
    assert r1["errors"] == [] and r1["accessToken"]
    second = r1["refreshToken"]
    assert second != first
    # The rotated token no longer works...
    again = (await identity_gql(REFRESH, {"i": {"refreshToken": first}}))["data"]["refreshToken"]
    assert again["errors"][0]["code"] == "INVALID_TOKEN"
    # ...and presenting it revoked the whole family, including the current token.
    r2 = (await identity_gql(REFRESH, {"i": {"refreshToken": second}}))["data"]["refreshToken"]
    assert r2["errors"][0]["code"] == "INVALID_TOKEN"


async def test_logout_revokes_the_family(identity_gql: GraphQLClient, tenant: TenantHandle) -> None:
    r1 = (await identity_gql(REFRESH, {"i": {"refreshToken": tenant.refresh_token}}))["data"]
    current = r1["refreshToken"]["refreshToken"]
    out = (await identity_gql(LOGOUT, {"i": {"refreshToken": current}}))["data"]["logout"]
    assert out == {"ok": True, "errors": []}
    r2 = (await identity_gql(REFRESH, {"i": {"refreshToken": current}}))["data"]["refreshToken"]
    assert r2["errors"][0]["code"] == "INVALID_TOKEN"


async def test_malformed_refresh_tokens_are_rejected(identity_gql: GraphQLClient) -> None:
    for bad in ["", "nope", f"nxr.{uuid.uuid4()}.secret", "nxr.not-a-uuid.x"]:
        r = (await identity_gql(REFRESH, {"i": {"refreshToken": bad}}))["data"]["refreshToken"]
        assert r["errors"][0]["code"] == "INVALID_TOKEN", bad


async def test_throttling_locks_after_ten_failures_whatever_the_password(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    wrong = {"tenant": tenant.slug, "email": tenant.admin_email, "password": "not the password"}
    for _ in range(MAX_FAILURES):
        r = await identity_gql(LOGIN, {"i": wrong})
        assert r["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    right = {**wrong, "password": tenant.admin_password}
    r = await identity_gql(LOGIN, {"i": right})
    assert r["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert r["data"] is None or r["data"]["login"] is None


async def test_success_resets_the_failure_count(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    wrong = {"tenant": tenant.slug, "email": tenant.admin_email, "password": "not the password"}
    right = {**wrong, "password": tenant.admin_password}
    for _ in range(MAX_FAILURES - 1):
        await identity_gql(LOGIN, {"i": wrong})
    assert (await identity_gql(LOGIN, {"i": right}))["data"]["login"]["errors"] == []
    for _ in range(MAX_FAILURES - 1):
        await identity_gql(LOGIN, {"i": wrong})
    assert (await identity_gql(LOGIN, {"i": right}))["data"]["login"]["errors"] == []


async def test_unknown_accounts_are_throttled_too(identity_gql: GraphQLClient) -> None:
    ghost = {
        "tenant": f"ghost-{uuid.uuid4().hex[:6]}",
        "email": "g@example.com",
        "password": "x" * 12,
    }
    for _ in range(MAX_FAILURES):
        await identity_gql(LOGIN, {"i": ghost})
    r = await identity_gql(LOGIN, {"i": ghost})
    assert r["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_bad_sign_up_writes_nothing(identity_gql: GraphQLClient, runtime: Runtime) -> None:
    from tests.subgraphs.identity.helpers import global_counts

    before = await global_counts(runtime)
    r = await identity_gql(
        SIGN_UP,
        {"i": {"tenantName": " ", "email": "not-an-email", "password": "short", "name": ""}},
    )
    errors = r["data"]["signUp"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("input.tenantName", "REQUIRED"),
        ("input.email", "INVALID_EMAIL"),
        ("input.password", "PASSWORD_TOO_SHORT"),
        ("input.name", "REQUIRED"),
    }
    assert await global_counts(runtime) == before


async def test_every_login_failure_costs_one_password_hash(
    identity_gql: GraphQLClient, tenant: TenantHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing parity without timing: each failure kind runs exactly one argon2 verify, so an
    unknown tenant or email takes as long as a wrong password."""
    from subgraphs.identity import credentials

    calls: list[str] = []
    real_verify = credentials._hasher.verify

    def counting_verify(password: str, hash: str) -> bool:
        calls.append(hash[:9])
        return bool(real_verify(password, hash))

    monkeypatch.setattr(credentials._hasher, "verify", counting_verify)
    for attempt in (
        {
            "tenant": f"nobody-{uuid.uuid4().hex[:6]}",
            "email": tenant.admin_email,
            "password": "x" * 12,
        },
        {"tenant": tenant.slug, "email": "nobody@example.com", "password": "x" * 12},
        {"tenant": tenant.slug, "email": tenant.admin_email, "password": "x" * 12},
    ):
        calls.clear()
        await identity_gql(LOGIN, {"i": attempt})
        assert calls == ["$argon2id"], attempt
