"""Revocation that takes effect: after logout, deactivation and a demotion the old access
token is refused at once in this process and, in another process, as soon as its
revocation cache (`NEXO_REVOCATION_CACHE_SECONDS`) is older than its bound."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.auth import TokenVerifier
from shared.context import Runtime
from shared.errors import Unauthenticated
from shared.revocation import RevocationCache
from subgraphs.identity import api as identity
from tests.conftest import PASSWORD, GraphQLClient, TenantHandle

ME = "{ me { id roles { name } } }"
LOGIN = """mutation($i: LoginInput!) { login(input: $i) {
  accessToken refreshToken errors { code } } }"""
LOGOUT = "mutation($i: RefreshTokenInput!) { logout(input: $i) { ok errors { code } } }"
UPDATE_USER = """mutation($i: UpdateUserInput!) { updateUser(input: $i) {
  user { id } errors { field code } } }"""
DEACTIVATE = """mutation($i: DeactivateUserInput!) { deactivateUser(input: $i) {
  user { id } errors { field code } } }"""
BOUND = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class OtherProcess:
    """A verifier as another process has it: its own key and revocation caches, and no
    word of revocations committed here."""

    def __init__(self, runtime: Runtime) -> None:
        self.clock = Clock()

        async def keys() -> list[dict[str, Any]]:
            async with runtime.db.transaction(None, readonly=True) as session:
                return await identity.public_jwks(session)

        self.revocations = RevocationCache.for_database(runtime.db, ttl=BOUND, local=False)
        self.revocations._clock = self.clock
        self.verifier = TokenVerifier(
            keys,
            issuer=runtime.settings.jwt_issuer,
            audience=runtime.settings.jwt_audience,
            revocations=self.revocations,
            clock=self.clock,
        )

    async def accepts(self, token: str) -> bool:
        try:
            await self.verifier.verify(token)
        except Unauthenticated:
            return False
        return True


def unauthenticated(result: dict[str, Any]) -> bool:
    return bool(result.get("errors")) and all(
        e["extensions"]["code"] == "UNAUTHENTICATED" for e in result["errors"]
    )


async def login(gql: GraphQLClient, tenant: TenantHandle, email: str, password: str) -> Any:
    r = await gql(LOGIN, {"i": {"tenant": tenant.slug, "email": email, "password": password}})
    assert r["data"]["login"]["errors"] == []
    return r["data"]["login"]


async def new_user(gql: GraphQLClient, tenant: TenantHandle, role: str) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    r = await gql(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } errors { code } } }",
        {"i": {"email": email, "name": role, "password": PASSWORD, "roles": [role]}},
        token=tenant.token,
    )
    return r["data"]["createUser"]["user"]["id"], email


async def test_logout_refuses_the_access_token_here_at_once_and_elsewhere_within_the_bound(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    session = await login(identity_gql, tenant, tenant.admin_email, tenant.admin_password)
    token = session["accessToken"]
    other = OtherProcess(runtime)
    assert await other.accepts(token)  # its cache now holds the tenant's revocations
    assert (await identity_gql(ME, token=token))["data"]["me"]
    out = await identity_gql(LOGOUT, {"i": {"refreshToken": session["refreshToken"]}})
    assert out["data"]["logout"] == {"ok": True, "errors": []}
    assert unauthenticated(await identity_gql(ME, token=token))
    other.clock.now += BOUND  # still inside its cache period: the bound is not yet up
    assert await other.accepts(token)
    other.clock.now += 0.5
    assert not await other.accepts(token)
    # Other logins of the same user are untouched.
    assert (await identity_gql(ME, token=tenant.token))["data"]["me"]
    assert await other.accepts(tenant.token)


async def test_deactivation_refuses_the_access_token(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    user_id, email = await new_user(identity_gql, tenant, "sales")
    token = (await login(identity_gql, tenant, email, PASSWORD))["accessToken"]
    other = OtherProcess(runtime)
    assert await other.accepts(token)
    r = await identity_gql(DEACTIVATE, {"i": {"id": user_id}}, token=tenant.token)
    assert r["data"]["deactivateUser"]["errors"] == []
    assert unauthenticated(await identity_gql(ME, token=token))
    other.clock.now += BOUND + 0.5
    assert not await other.accepts(token)
    assert await other.accepts(tenant.token)


async def test_a_demotion_refuses_the_old_token_and_the_new_one_carries_the_new_role(
    identity_gql: GraphQLClient, runtime: Runtime, tenant: TenantHandle
) -> None:
    user_id, email = await new_user(identity_gql, tenant, "sales")
    old = (await login(identity_gql, tenant, email, PASSWORD))["accessToken"]
    other = OtherProcess(runtime)
    assert await other.accepts(old)
    r = await identity_gql(
        UPDATE_USER, {"i": {"id": user_id, "roles": ["viewer"]}}, token=tenant.token
    )
    assert r["data"]["updateUser"]["errors"] == []
    assert unauthenticated(await identity_gql(ME, token=old))
    other.clock.now += BOUND + 0.5
    assert not await other.accepts(old)
    new = (await login(identity_gql, tenant, email, PASSWORD))["accessToken"]
    me = await identity_gql(ME, token=new)
    assert me["data"]["me"]["roles"] == [{"name": "viewer"}]
    assert await other.accepts(new)
    principal = await runtime.verifier.verify(new)
    assert principal.can("sales:read") and not principal.can("sales:write")


async def test_changing_a_role_refuses_its_holders_tokens(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    role = await identity_gql(
        "mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } } }",
        {"i": {"name": f"r{uuid.uuid4().hex[:6]}", "permissions": ["crm:read", "crm:write"]}},
        token=tenant.token,
    )
    role_id = role["data"]["createRole"]["role"]["id"]
    roles = await identity_gql("{ roles { id name } }", token=tenant.token)
    name = next(r["name"] for r in roles["data"]["roles"] if r["id"] == role_id)
    _, email = await new_user(identity_gql, tenant, name)
    token = (await login(identity_gql, tenant, email, PASSWORD))["accessToken"]
    assert (await identity_gql(ME, token=token))["data"]["me"]
    # Renaming or describing keeps tokens; narrowing the permissions does not.
    await identity_gql(
        "mutation($i: UpdateRoleInput!) { updateRole(input: $i) { errors { code } } }",
        {"i": {"id": role_id, "description": "same permissions"}},
        token=tenant.token,
    )
    assert (await identity_gql(ME, token=token))["data"]["me"]
    await identity_gql(
        "mutation($i: UpdateRoleInput!) { updateRole(input: $i) { errors { code } } }",
        {"i": {"id": role_id, "permissions": ["crm:read"]}},
        token=tenant.token,
    )
    assert unauthenticated(await identity_gql(ME, token=token))


async def test_a_revocation_that_rolls_back_revokes_nothing_elsewhere(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    other = OtherProcess(runtime)
    assert await other.accepts(tenant.token)

    async def logout_then_fail() -> None:
        async with runtime.db.transaction(tenant.id) as session:
            await identity.logout(session, refresh_token=tenant.refresh_token)
            raise RuntimeError("the unit of work fails")

    with pytest.raises(RuntimeError):
        await logout_then_fail()
    other.clock.now += BOUND + 0.5
    assert await other.accepts(tenant.token)
    assert await runtime.verifier.verify(tenant.token)


async def test_the_cache_loads_once_per_tenant_per_period(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    other = OtherProcess(runtime)
    for _ in range(20):
        assert await other.accepts(tenant.token)
    assert other.revocations.loads == 1
    other.clock.now += BOUND + 0.5
    assert await other.accepts(tenant.token)
    assert other.revocations.loads == 2
