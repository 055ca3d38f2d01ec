"""Regressions the schema fuzz (tests/nexo/test_fuzz.py) found in identity: each was an
internal error and is now a clear answer that changes nothing."""

from __future__ import annotations

from tests.conftest import GraphQLClient, TenantHandle

BEGIN = "mutation { beginTotpEnrolment { secret errors { field code } } }"
CONFIRM = (
    "mutation($i: ConfirmTotpEnrolmentInput!) { confirmTotpEnrolment(input: $i)"
    " { recoveryCodes errors { field code } } }"
)


async def test_a_non_ascii_totp_code_is_a_wrong_code(
    identity_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    """Was TypeError from `hmac.compare_digest`, which refuses non-ASCII str."""
    begun = await identity_gql(BEGIN, token=tenant.token)
    assert begun["data"]["beginTotpEnrolment"]["errors"] == [], begun
    fullwidth = "".join(chr(0xFF10 + d) for d in (1, 2, 3, 4, 5, 6))  # not ASCII either
    for code in ("Zo\u00eb \U0001f680", fullwidth):
        answer = await identity_gql(CONFIRM, {"i": {"code": code}}, token=tenant.token)
        assert "errors" not in answer, answer
        assert answer["data"]["confirmTotpEnrolment"] == {
            "recoveryCodes": None,
            "errors": [{"field": "input.code", "code": "MFA_CODE_INVALID"}],
        }
