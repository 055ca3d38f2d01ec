"""Sign-up policy and invitations; lock-out by account and source, audited; rate limits
in PostgreSQL that hold across two app instances, answered with Retry-After."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from nexo.runtime import build_runtime
from shared import internal_auth, ratelimit
from shared.context import Runtime
from subgraphs.identity.lockout import ACCOUNT, MAX_FAILURES
from tests.conftest import GraphQLClient, MigratedDatabase, TenantHandle

SIGN_UP = """mutation($i: SignUpInput!) { signUp(input: $i) {
  accessToken errors { field code } } }"""
LOGIN = """mutation($i: LoginInput!) { login(input: $i) {
  accessToken errors { field code } } }"""
INVITE = """mutation($i: InviteUserInput!) { inviteUser(input: $i) {
  token invitation { email roles } errors { field code } } }"""
ACCEPT = """mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) {
  accessToken user { email roles { name } } errors { field code } } }"""


def with_settings(gql: GraphQLClient, **changes: Any) -> GraphQLClient:
    runtime = dataclasses.replace(
        gql.runtime, settings=dataclasses.replace(gql.runtime.settings, **changes)
    )
    return GraphQLClient(runtime, gql.schema)


def from_source(address: str) -> dict[str, str]:
    """What the router sends for a client at `address` (development: unsigned)."""
    return {internal_auth.HEADER: internal_auth.sign(None, client=address)}


def sign_up_input() -> dict[str, Any]:
    return {
        "i": {
            "tenantName": f"Policy {uuid.uuid4().hex[:6]}",
            "email": "f@example.com",
            "password": "a" * 12,
            "name": "F",
        }
    }


@pytest.mark.parametrize("policy", ["invite", "closed"])
async def test_sign_up_is_refused_unless_open(identity_gql: GraphQLClient, policy: str) -> None:
    gql = with_settings(identity_gql, signup=policy)
    r = await gql(SIGN_UP, sign_up_input())
    assert r["data"]["signUp"] == {
        "accessToken": None,
        "errors": [{"field": None, "code": "SIGNUP_CLOSED"}],
    }
    opened = await with_settings(identity_gql, signup="open")(SIGN_UP, sign_up_input())
    assert opened["data"]["signUp"]["errors"] == []


async def test_an_invitation_is_accepted_once(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    gql = with_settings(identity_gql, signup="invite")
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    invited = await gql(INVITE, {"i": {"email": email, "roles": ["warehouse"]}}, token=tenant.token)
    payload = invited["data"]["inviteUser"]
    assert payload["errors"] == [] and payload["invitation"] == {
        "email": email,
        "roles": ["warehouse"],
    }
    token = payload["token"]
    accept = {"i": {"token": token, "name": "New", "password": "long enough pass"}}
    joined = (await gql(ACCEPT, accept))["data"]["acceptInvitation"]
    assert joined["errors"] == [] and joined["user"] == {
        "email": email,
        "roles": [{"name": "warehouse"}],
    }
    again = (await gql(ACCEPT, accept))["data"]["acceptInvitation"]
    assert again["errors"] == [{"field": "input.token", "code": "INVALID_TOKEN"}]
    for bad in ["", "nxi.x.y", f"nxi.{tenant.id}.guess", token + "x"]:
        r = (await gql(ACCEPT, {"i": {**accept["i"], "token": bad}}))["data"]
        assert r["acceptInvitation"]["errors"][0]["code"] == "INVALID_TOKEN", bad


async def test_invitation_rules(identity_gql: GraphQLClient, tenant: TenantHandle) -> None:
    gql = with_settings(identity_gql, signup="invite")
    bad = await gql(
        INVITE, {"i": {"email": tenant.admin_email, "roles": ["wizard"]}}, token=tenant.token
    )
    assert {(e["field"], e["code"]) for e in bad["data"]["inviteUser"]["errors"]} == {
        ("input.email", "DUPLICATE"),
        ("input.roles", "UNKNOWN_ROLE"),
    }
    closed = with_settings(identity_gql, signup="closed")
    r = await closed(INVITE, {"i": {"email": "x@example.com", "roles": []}}, token=tenant.token)
    assert r["data"]["inviteUser"]["errors"] == [{"field": None, "code": "SIGNUP_CLOSED"}]
    anonymous = await gql(INVITE, {"i": {"email": "x@example.com", "roles": []}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_failures_from_one_address_do_not_lock_the_owner_out_from_another(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    attacker, owner = from_source("203.0.113.7"), from_source("198.51.100.20")
    wrong = {"tenant": tenant.slug, "email": tenant.admin_email, "password": "not the password"}
    right = {**wrong, "password": tenant.admin_password}
    for _ in range(MAX_FAILURES):
        r = await identity_gql(LOGIN, {"i": wrong}, headers=attacker)
        assert r["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    refused = await identity_gql(LOGIN, {"i": right}, headers=attacker)
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused["errors"][0]["extensions"]["retryAfter"] > 0
    ok = await identity_gql(LOGIN, {"i": right}, headers=owner)
    assert ok["data"]["login"]["errors"] == []
    events = await identity_gql(
        "{ lockoutEvents { scope email source lockedUntil } }", token=tenant.token
    )
    [event] = events["data"]["lockoutEvents"]
    assert (event["scope"], event["email"], event["source"]) == (
        "account+source",
        tenant.admin_email.lower(),
        "203.0.113.7",
    )


async def test_many_addresses_lock_the_account_only_for_addresses_it_never_used(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    wrong = {"tenant": tenant.slug, "email": tenant.admin_email, "password": "not the password"}
    right = {**wrong, "password": tenant.admin_password}
    home = from_source("198.51.100.1")
    assert (await identity_gql(LOGIN, {"i": right}, headers=home))["data"]["login"]["errors"] == []
    for n in range(ACCOUNT.threshold):
        await identity_gql(LOGIN, {"i": wrong}, headers=from_source(f"192.0.2.{n}"))
    stranger = await identity_gql(LOGIN, {"i": right}, headers=from_source("192.0.2.200"))
    assert stranger["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await identity_gql(LOGIN, {"i": right}, headers=home))["data"]["login"]["errors"] == []
    events = await identity_gql("{ lockoutEvents { scope } }", token=tenant.token)
    assert {"account"} <= {e["scope"] for e in events["data"]["lockoutEvents"]}


async def test_a_client_cannot_claim_an_address(identity_gql: GraphQLClient) -> None:
    """An address header a client sets itself is dropped; only the credential counts."""
    _, believed = internal_auth.believed_headers(
        "secret", {internal_auth.CLIENT_ADDRESS: "10.9.9.9", "authorization": "x"}, peer="1.2.3.4"
    )
    assert believed[internal_auth.CLIENT_ADDRESS] == "1.2.3.4"
    forged = internal_auth.sign("not the secret", client="10.9.9.9")
    verdict, believed = internal_auth.believed_headers(
        "secret", {internal_auth.HEADER: forged}, peer="1.2.3.4"
    )
    assert not verdict.trusted and believed[internal_auth.CLIENT_ADDRESS] == "1.2.3.4"
    genuine = internal_auth.sign("secret", client="10.9.9.9")
    verdict, believed = internal_auth.believed_headers("secret", {internal_auth.HEADER: genuine})
    assert verdict.trusted and believed[internal_auth.CLIENT_ADDRESS] == "10.9.9.9"
    expired = internal_auth.sign("secret", client="10.9.9.9", now=0)
    assert not internal_auth.verify("secret", expired).trusted
    # Header values arrive decoded as latin-1: a signature that is not ASCII is refused,
    # not a TypeError from comparing it.
    head, _, _ = genuine.rpartition(".")
    for odd in (f"{head}.\u00e9\u00e9", "\u00e9", "v1.\u00e9.\u00e9"):
        assert not internal_auth.verify("secret", odd).trusted


@pytest.fixture
async def second_instance(runtime: Runtime, test_db: MigratedDatabase) -> AsyncIterator[Runtime]:
    """Another app instance on the same database: its own pool, caches and verifier."""
    other = build_runtime(runtime.settings, test_db.app, pool_size=2)
    yield other
    await other.db.dispose()


async def test_a_rate_limit_holds_across_two_instances_and_says_when_to_retry(
    runtime: Runtime, second_instance: Runtime, tenant: TenantHandle
) -> None:
    from subgraphs.identity.app import create_app

    settings = dataclasses.replace(runtime.settings, rate_limit=4)
    apps = [
        create_app(dataclasses.replace(rt, settings=settings)) for rt in (runtime, second_instance)
    ]
    answers = []
    for n in range(6):
        transport = httpx.ASGITransport(app=apps[n % 2])
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
            r = await client.post(
                "/graphql",
                json={"query": "{ me { id } }"},
                headers={"authorization": f"Bearer {tenant.token}"},
            )
        answers.append(r)
    assert [("errors" in r.json()) for r in answers] == [False] * 4 + [True] * 2
    limited = answers[4]
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) >= 1
    assert "retry-after" not in answers[0].headers


async def test_login_attempts_from_one_address_are_limited(
    runtime: Runtime, identity_gql: GraphQLClient
) -> None:
    from subgraphs.identity.graphql.mutations import LOGIN_LIMIT

    address = f"203.0.113.{uuid.uuid4().int % 250}"
    ghost = {"tenant": f"ghost-{uuid.uuid4().hex[:6]}", "email": "g@x.example", "password": "p"}
    for _ in range(int(LOGIN_LIMIT.burst)):  # what a burst of logins would have taken
        assert (
            await ratelimit.take(runtime.db, ratelimit.PLATFORM, f"login:{address}", LOGIN_LIMIT)
            == 0.0
        )
    r = await identity_gql(LOGIN, {"i": ghost}, headers=from_source(address))
    assert r["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert r["errors"][0]["extensions"]["retryAfter"] >= 1
    elsewhere = await identity_gql(LOGIN, {"i": ghost}, headers=from_source("198.51.100.99"))
    assert elsewhere["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
