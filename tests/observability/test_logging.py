"""One JSON line per request: the router's and each subgraph's share the request id and
the trace id; tenant, user, operation, duration and outcome are there; tokens, passwords
and variables are not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from shared.logging import REDACTED, configure_logging, redact
from tests.conftest import TenantHandle
from tests.observability.helpers import gql


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("INFO")
    yield
    structlog.reset_defaults()


def _lines(text: str) -> list[dict[str, Any]]:
    found = []
    for raw in text.splitlines():
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        if isinstance(parsed, dict) and parsed.get("event") == "request":
            found.append(parsed)
    return found


@pytest.mark.usefixtures("json_logs")
async def test_request_lines_correlate_and_keep_secrets_out(
    router: httpx.AsyncClient, tenant: TenantHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    # The router fixture may be older than this test and configured logging itself.
    configure_logging("INFO")
    capsys.readouterr()
    login = await gql(
        router,
        "mutation SignIn($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }",
        {
            "i": {
                "tenant": tenant.slug,
                "email": tenant.admin_email,
                "password": tenant.admin_password,
            }
        },
    )
    token = login["data"]["login"]["accessToken"]
    refresh = login["data"]["login"]["refreshToken"]
    me = await router.post(
        "/graphql",
        json={"query": "query Me { me { email } customers(first: 1) { totalCount } }"},
        headers={"authorization": f"Bearer {token}", "x-request-id": "req-observability-1"},
    )
    assert me.json()["data"]["me"]["email"] == tenant.admin_email
    captured = capsys.readouterr()
    text = captured.err + captured.out
    lines = _lines(text)

    for secret in (tenant.admin_password, token, refresh, tenant.admin_email):
        assert secret not in text  # the email was only in the variables

    sign_in = [line for line in lines if line.get("operation") == "SignIn"]
    assert len(sign_in) == 1 and sign_in[0]["service"] == "router"
    assert sign_in[0]["outcome"] == "ok" and sign_in[0]["status"] == 200
    assert sign_in[0]["user"] == str(tenant.admin_id)  # who logged in, once they had

    mine = [line for line in lines if line.get("request_id") == "req-observability-1"]
    services = sorted(line["service"] for line in mine)
    assert services == ["crm", "identity", "router"]
    assert len({line["trace_id"] for line in mine}) == 1
    for line in mine:
        assert line["tenant"] == str(tenant.id)
        assert line["user"] == str(tenant.admin_id)
        assert line["outcome"] == "ok"
        assert line["duration_ms"] >= 0
        assert line["level"] == "info"
    router_line = next(line for line in mine if line["service"] == "router")
    assert router_line["operation"] == "Me" and router_line["operation_type"] == "query"


def test_fields_named_like_secrets_are_redacted() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "x",
            "password": "p",
            "refresh_token": "t",
            "details": {"Authorization": "Bearer t", "ok": 1, "nested": [{"secret": "s"}]},
            "variables": {"a": 1},
        },
    )
    assert event == {
        "event": "x",
        "password": REDACTED,
        "refresh_token": REDACTED,
        "details": {"Authorization": REDACTED, "ok": 1, "nested": [{"secret": REDACTED}]},
        "variables": REDACTED,
    }
