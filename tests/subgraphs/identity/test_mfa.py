"""MFA with TOTP over real HTTP: enrolment, the login's second step, recovery codes,
the mfaToken's life, admin reset and the tenant's policy."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import update

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.identity import mfa, sessions
from subgraphs.identity.models import MfaChallenge
from tests.conftest import TenantHandle

AUTH = (
    "accessToken refreshToken expiresIn mfaRequired mfaToken mfaEnrolmentRequired"
    " user { id email } errors { field code }"
)
LOGIN = f"mutation($i: LoginInput!) {{ login(input: $i) {{ {AUTH} }} }}"
VERIFY = f"mutation($i: VerifyMfaInput!) {{ verifyMfa(input: $i) {{ {AUTH} }} }}"
REFRESH = f"mutation($i: RefreshTokenInput!) {{ refreshToken(input: $i) {{ {AUTH} }} }}"
BEGIN = "mutation { beginTotpEnrolment { secret provisioningUri errors { field code } } }"
CONFIRM = (
    "mutation($i: ConfirmTotpEnrolmentInput!) { confirmTotpEnrolment(input: $i)"
    " { recoveryCodes errors { field code } } }"
)
RESET = (
    "mutation($i: ResetUserMfaInput!) { resetUserMfa(input: $i) { user { id } errors"
    " { field code } } }"
)
POLICY = (
    "mutation($i: SetMfaPolicyInput!) { setMfaPolicy(input: $i) { required errors"
    " { field code } } }"
)
CREATE_USER = (
    "mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } errors { code } } }"
)
USERS = "{ users(first: 1) { edges { node { id } } } }"
PASSWORD = "correct horse battery staple"


class Api:
    """Each call comes from its own loopback address, so the per-address rate limits of
    login and verifyMfa (not what these tests are about) never trip."""

    def __init__(self, url: str, tenant: TenantHandle) -> None:
        self.url = url
        self.tenant = tenant

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        local = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
        transport = httpx.AsyncHTTPTransport(local_address=local)
        async with httpx.AsyncClient(base_url=self.url, transport=transport) as client:
            r = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def login(self, email: str, password: str) -> dict[str, Any]:
        r = await self(
            LOGIN, {"i": {"tenant": self.tenant.slug, "email": email, "password": password}}
        )
        assert r.get("data"), r
        return dict(r["data"]["login"])

    async def verify(self, mfa_token: str, **second: str) -> dict[str, Any]:
        r = await self(VERIFY, {"i": {"mfaToken": mfa_token, **second}})
        assert r.get("data"), r
        return dict(r["data"]["verifyMfa"])

    async def new_user(self, roles: list[str]) -> str:
        email = f"mfa-{uuid.uuid4().hex[:8]}@example.com"
        r = await self(
            CREATE_USER,
            {"i": {"email": email, "name": "M", "password": PASSWORD, "roles": roles}},
            token=self.tenant.token,
        )
        assert r["data"]["createUser"]["errors"] == []
        return email

    async def enrol(self, token: str) -> tuple[pyotp.TOTP, list[str]]:
        begun = (await self(BEGIN, token=token))["data"]["beginTotpEnrolment"]
        assert begun["errors"] == []
        totp = pyotp.TOTP(begun["secret"])
        r = await self(CONFIRM, {"i": {"code": code(totp, -1)}}, token=token)
        confirmed = r["data"]["confirmTotpEnrolment"]
        assert confirmed["errors"] == []
        return totp, list(confirmed["recoveryCodes"])


def code(totp: pyotp.TOTP, steps: int = 0) -> str:
    """The code of the time step `steps` away from now (the server accepts ±1)."""
    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * steps))


def codes_of(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.fixture
def api(identity_url: str, tenant: TenantHandle) -> Api:
    return Api(identity_url, tenant)


async def test_enrolment_then_login_needs_the_second_step(api: Api) -> None:
    email = await api.new_user(["manager"])
    first = await api.login(email, PASSWORD)
    assert first["mfaRequired"] is False and first["accessToken"]
    token = first["accessToken"]

    begun = (await api(BEGIN, token=token))["data"]["beginTotpEnrolment"]
    assert begun["provisioningUri"].startswith("otpauth://totp/NEXO:")
    assert "issuer=NEXO" in begun["provisioningUri"]
    totp = pyotp.TOTP(begun["secret"])
    wrong = await api(
        CONFIRM, {"i": {"code": "000000" if code(totp) != "000000" else "111111"}}, token=token
    )
    assert codes_of(wrong["data"]["confirmTotpEnrolment"]) == [("input.code", "MFA_CODE_INVALID")]
    ok = (await api(CONFIRM, {"i": {"code": code(totp, -1)}}, token=token))["data"][
        "confirmTotpEnrolment"
    ]
    assert ok["errors"] == [] and len(ok["recoveryCodes"]) == 10
    assert len(set(ok["recoveryCodes"])) == 10
    again = (await api(BEGIN, token=token))["data"]["beginTotpEnrolment"]
    assert codes_of(again) == [(None, "MFA_ALREADY_ENABLED")]
    twice = (await api(CONFIRM, {"i": {"code": code(totp)}}, token=token))["data"][
        "confirmTotpEnrolment"
    ]
    assert codes_of(twice) == [(None, "MFA_NOT_STARTED")]

    challenged = await api.login(email, PASSWORD)
    assert challenged["mfaRequired"] is True
    assert challenged["accessToken"] is None and challenged["refreshToken"] is None
    assert challenged["mfaToken"].startswith("nxm.") and challenged["errors"] == []
    bad = await api.verify(challenged["mfaToken"], code="12345")
    assert codes_of(bad) == [("input.code", "MFA_CODE_INVALID")] and bad["accessToken"] is None
    done = await api.verify(challenged["mfaToken"], code=code(totp))
    assert done["errors"] == [] and done["accessToken"] and done["refreshToken"]
    assert done["user"]["email"] == email
    users = await api(USERS, token=done["accessToken"])
    assert "errors" not in users

    reused = await api.verify(challenged["mfaToken"], code=code(totp, 1))
    assert codes_of(reused) == [("input.mfaToken", "INVALID_TOKEN")]

    # The code just accepted cannot be replayed on another login; the next step's can.
    replay = await api.login(email, PASSWORD)
    replayed = await api.verify(replay["mfaToken"], code=code(totp))
    assert codes_of(replayed) == [("input.code", "MFA_CODE_INVALID")]
    assert (await api.verify(replay["mfaToken"], code=code(totp, 1)))["accessToken"]


async def test_recovery_codes_are_single_use(api: Api) -> None:
    email = await api.new_user(["sales"])
    _, recovery = await api.enrol((await api.login(email, PASSWORD))["accessToken"])

    first = await api.login(email, PASSWORD)
    assert (await api.verify(first["mfaToken"], recoveryCode=recovery[0]))["accessToken"]
    second = await api.login(email, PASSWORD)
    reused = await api.verify(second["mfaToken"], recoveryCode=recovery[0])
    assert codes_of(reused) == [("input.recoveryCode", "MFA_CODE_INVALID")]
    unknown = await api.verify(second["mfaToken"], recoveryCode="0000abcd-0000abcd")
    assert codes_of(unknown) == [("input.recoveryCode", "MFA_CODE_INVALID")]
    both = await api.verify(second["mfaToken"], code="123456", recoveryCode=recovery[1])
    assert codes_of(both) == [(None, "INVALID")]
    assert (await api.verify(second["mfaToken"], recoveryCode=recovery[1]))["accessToken"]


async def test_mfa_token_expires_dies_after_failures_and_must_be_ours(
    api: Api, runtime: Runtime, tenant: TenantHandle
) -> None:
    email = await api.new_user(["sales"])
    totp, _ = await api.enrol((await api.login(email, PASSWORD))["accessToken"])

    expired = await api.login(email, PASSWORD)
    async with runtime.db.transaction(tenant.id) as session:
        await session.execute(
            update(MfaChallenge)
            .where(MfaChallenge.tenant_id == tenant.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    late = await api.verify(expired["mfaToken"], code=code(totp))
    assert codes_of(late) == [("input.mfaToken", "INVALID_TOKEN")]

    guessed = await api.login(email, PASSWORD)
    wrong = "000000" if code(totp) != "000000" else "111111"
    for _ in range(mfa.MAX_CHALLENGE_FAILURES):
        r = await api.verify(guessed["mfaToken"], code=wrong)
        assert codes_of(r) == [("input.code", "MFA_CODE_INVALID")]
    dead = await api.verify(guessed["mfaToken"], code=code(totp))
    assert codes_of(dead) == [("input.mfaToken", "INVALID_TOKEN")]

    for forged in ("nope", f"nxm.{uuid.uuid4()}.abc", f"nxm.{tenant.id}.abc", "nxm.x.y"):
        r = await api.verify(forged, code=code(totp))
        assert codes_of(r) == [("input.mfaToken", "INVALID_TOKEN")]


async def test_one_step_login_refuses_a_user_with_totp(
    api: Api, runtime: Runtime, tenant: TenantHandle
) -> None:
    email = await api.new_user(["sales"])
    await api.enrol((await api.login(email, PASSWORD))["accessToken"])
    with pytest.raises(InvalidInput) as caught:
        async with runtime.db.transaction(None) as session:
            await sessions.login(
                session,
                runtime.db,
                runtime.settings,
                tenant_slug=tenant.slug,
                email=email,
                password=PASSWORD,
            )
    assert [p.code for p in caught.value.problems] == ["MFA_REQUIRED"]


async def test_admin_resets_a_users_mfa(api: Api, tenant: TenantHandle) -> None:
    email = await api.new_user(["manager"])
    user = await api.login(email, PASSWORD)
    await api.enrol(user["accessToken"])
    user_id = user["user"]["id"]

    refused = await api(RESET, {"i": {"userId": user_id}}, token=user["accessToken"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    unknown = await api(RESET, {"i": {"userId": str(uuid.uuid4())}}, token=tenant.token)
    assert codes_of(unknown["data"]["resetUserMfa"]) == [("input.userId", "NOT_FOUND")]
    done = await api(RESET, {"i": {"userId": user_id}}, token=tenant.token)
    assert done["data"]["resetUserMfa"] == {"user": {"id": user_id}, "errors": []}
    after = await api.login(email, PASSWORD)
    assert after["mfaRequired"] is False and after["accessToken"]


async def test_tenant_policy_lets_a_user_without_totp_only_enrol(
    api: Api, tenant: TenantHandle
) -> None:
    email = await api.new_user(["manager"])
    before = await api.login(email, PASSWORD)
    assert before["mfaEnrolmentRequired"] is False

    refused = await api(POLICY, {"i": {"required": True}}, token=before["accessToken"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    set_ = await api(POLICY, {"i": {"required": True}}, token=tenant.token)
    assert set_["data"]["setMfaPolicy"] == {"required": True, "errors": []}

    limited = await api.login(email, PASSWORD)
    assert limited["mfaEnrolmentRequired"] is True and limited["accessToken"]
    users = await api(USERS, token=limited["accessToken"])
    assert users["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A refresh re-applies the policy too.
    refreshed = (await api(REFRESH, {"i": {"refreshToken": limited["refreshToken"]}}))["data"][
        "refreshToken"
    ]
    assert refreshed["mfaEnrolmentRequired"] is True

    totp, _ = await api.enrol(limited["accessToken"])
    challenged = await api.login(email, PASSWORD)
    full = await api.verify(challenged["mfaToken"], code=code(totp))
    assert full["mfaEnrolmentRequired"] is False
    assert "errors" not in await api(USERS, token=full["accessToken"])

    off = await api(POLICY, {"i": {"required": False}}, token=tenant.token)
    assert off["data"]["setMfaPolicy"]["required"] is False
