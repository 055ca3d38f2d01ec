"""Templates: Jinja2 in a sandbox, per name, channel and locale, editable per tenant; a
broken template is refused at save with TEMPLATE_INVALID, never a crash at send time."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.context import Runtime
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.notifications.conftest import (
    emit_one,
    inbox,
    make_worker,
    ok,
    person,
    ping_rule,
)
from tests.subgraphs.notifications.test_relay import _low_stock_setup

SAVE = """
mutation($input: SaveNotificationTemplateInput!) {
  saveNotificationTemplate(input: $input) {
    template { id name channel locale subject body }
    errors { field code message }
  }
}"""

TEMPLATES = "{ notificationTemplates { totalCount edges { node { id name subject } } } }"

PREVIEW = """
query($input: PreviewNotificationTemplateInput!) {
  previewNotificationTemplate(input: $input) { subject body errors { field code message } }
}"""


async def save(gql: GraphQLClient, token: str, **input: Any) -> dict[str, Any]:
    data = await ok(gql, token, SAVE, input={"channel": "IN_APP", **input})
    return dict(data["saveNotificationTemplate"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ order.number", "unexpected end of template, expected 'end of print statement'."),
        ("{% for x in %}", "Expected an expression, got 'end of statement block'"),
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "is unsafe"),
        ("{{ 'x' * 100000000 }}", "repetition too large"),
        ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "loop"),
        ("{{ payload.available | nosuchfilter }}", "No filter named 'nosuchfilter'"),
    ],
)
async def test_a_broken_template_is_refused_at_save_and_nothing_is_written(
    gql: GraphQLClient, tenant: TenantHandle, body: str, message: str
) -> None:
    payload = await save(gql, tenant.token, name="stock.low", subject="Fine", body=body)
    assert payload["template"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("input.body", "TEMPLATE_INVALID")
    assert error["message"].startswith("The template does not render: ")
    assert message in error["message"]
    assert (await ok(gql, tenant.token, TEMPLATES))["notificationTemplates"]["totalCount"] == 0


async def test_bad_input_is_a_payload_error(gql: GraphQLClient, tenant: TenantHandle) -> None:
    for input in (
        {"name": "stock.low", "body": "a\x00b"},
        {"name": "stock.low", "subject": "\x00", "body": "b"},
        {"name": "stock.\x00low", "body": "b"},
    ):
        result = await gql(SAVE, {"input": {"channel": "IN_APP", **input}}, token=tenant.token)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", input
    cases = [
        ({"name": "stock.low", "body": "x" * 20_001}, "input.body", "TOO_LONG"),
        ({"name": "stock.low", "body": "  "}, "input.body", "REQUIRED"),
        ({"name": "Stock Low!", "body": "b"}, "input.name", "INVALID"),
        ({"name": "x" * 101, "body": "b"}, "input.name", "TOO_LONG"),
        ({"name": "stock.low", "locale": "english", "body": "b"}, "input.locale", "INVALID"),
    ]
    for input, field, code in cases:
        payload = await save(gql, tenant.token, **input)
        assert payload["template"] is None, input
        assert [(e["field"], e["code"]) for e in payload["errors"]][:1] == [(field, code)], input
    assert (await ok(gql, tenant.token, TEMPLATES))["notificationTemplates"]["totalCount"] == 0


async def test_a_saved_template_renders_the_tenants_messages_per_locale(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    user = await person(runtime, tenant, "viewer")
    await ping_rule(gql, tenant.token, [user.id])
    saved = await save(
        gql,
        tenant.token,
        name="test.ping",
        subject="Ping {{ payload.n }} for {{ recipient.name }}",
        body="{{ tenant.name }}: {{ event.type }}",
    )
    assert saved["errors"] == []
    german = await save(
        gql, tenant.token, name="test.ping", locale="de", subject="Ping auf Deutsch", body="Hallo"
    )
    assert german["errors"] == []
    await emit_one(runtime, tenant.id)
    await make_worker(runtime).run_once()
    [n] = await inbox(runtime, tenant.id, user.id)
    assert (n.title, n.body.endswith(": test.ping")) == ("Ping 1 for Viewer", True)

    # A rule in German uses the German template.
    await ok(
        gql,
        tenant.token,
        """mutation($input: SaveNotificationRuleInput!) {
             saveNotificationRule(input: $input) { errors { code } } }""",
        input={
            "eventType": "test.ping",
            "name": "Deutsch",
            "channels": ["IN_APP"],
            "roles": ["manager"],
            "locale": "de",
        },
    )
    manager = await person(runtime, tenant, "manager")
    await emit_one(runtime, tenant.id)
    await make_worker(runtime).run_once()
    [m] = await inbox(runtime, tenant.id, manager.id)
    assert (m.title, m.body) == ("Ping auf Deutsch", "Hallo")

    # The other tenant neither sees nor uses them.
    assert (await ok(gql, other_tenant.token, TEMPLATES))["notificationTemplates"][
        "totalCount"
    ] == 0
    other = await ok(
        gql,
        other_tenant.token,
        "query($id: ID!) { notificationTemplate(id: $id) { id } }",
        id=saved["template"]["id"],
    )
    assert other == {"notificationTemplate": None}
    deleted = await ok(
        gql,
        other_tenant.token,
        """mutation($input: IdInput!) { deleteNotificationTemplate(input: $input) {
             template { id } errors { field code message } } }""",
        input={"id": saved["template"]["id"]},
    )
    assert deleted["deleteNotificationTemplate"] == {
        "template": None,
        "errors": [
            {"field": "input.id", "code": "NOT_FOUND", "message": "No template with this id"}
        ],
    }
    listed = await ok(gql, tenant.token, TEMPLATES)
    assert listed["notificationTemplates"]["totalCount"] == 2


async def test_saving_again_replaces_the_template_and_deleting_restores_the_default(
    gql: GraphQLClient, tenant: TenantHandle
) -> None:
    first = await save(gql, tenant.token, name="stock.low", subject="One", body="1")
    second = await save(gql, tenant.token, name="stock.low", subject="Two", body="2")
    assert second["template"]["id"] == first["template"]["id"]
    assert (second["template"]["subject"], second["template"]["body"]) == ("Two", "2")
    preview = await ok(gql, tenant.token, PREVIEW, input={"name": "stock.low", "channel": "IN_APP"})
    assert preview["previewNotificationTemplate"] == {"subject": "Two", "body": "2", "errors": []}
    await ok(
        gql,
        tenant.token,
        "mutation($input: IdInput!) { deleteNotificationTemplate(input: $input) { errors { code } } }",
        input={"id": first["template"]["id"]},
    )
    preview = await ok(gql, tenant.token, PREVIEW, input={"name": "stock.low", "channel": "IN_APP"})
    assert preview["previewNotificationTemplate"] == {
        "subject": "Low stock: Widget",
        "body": "Main: 3.0000 available, minimum 10.0000.",
        "errors": [],
    }


async def test_preview_renders_a_draft_on_sample_data_or_names_its_problem(
    gql: GraphQLClient, tenant: TenantHandle
) -> None:
    draft = {
        "name": "order.confirmed/customer",
        "channel": "EMAIL",
        "subject": "{{ order.number }}",
        "body": "{{ order.total | money(order.currency) }} for {{ customer.name }}",
    }
    data = await ok(gql, tenant.token, PREVIEW, input=draft)
    assert data["previewNotificationTemplate"] == {
        "subject": "SO-2026-00042",
        "body": "119.00 EUR for Acme Buyer GmbH",
        "errors": [],
    }
    data = await ok(gql, tenant.token, PREVIEW, input={**draft, "subject": "{% if %}"})
    assert data["previewNotificationTemplate"]["subject"] is None
    assert [(e["field"], e["code"]) for e in data["previewNotificationTemplate"]["errors"]] == [
        ("input.subject", "TEMPLATE_INVALID")
    ]


async def test_a_template_failing_on_real_data_falls_back_to_the_shipped_one(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    keeper = await person(runtime, tenant, "warehouse")
    # Renders on the sample (3 available), divides by zero on the real event (0).
    saved = await save(
        gql,
        tenant.token,
        name="stock.low",
        subject="Cover {{ 100 / (payload.available | float) }}",
        body="x",
    )
    assert saved["errors"] == []
    _, location, product = await _low_stock_setup(runtime, tenant)
    async with runtime.db.transaction(tenant.id) as session:
        await stock.adjust(
            session,
            tenant.id,
            location_id=location,
            lines=[stock.CountLine(product, Decimal("0"))],
        )
    await make_worker(runtime).run_once()
    [n] = await inbox(runtime, tenant.id, keeper.id)
    assert (n.title, n.body) == (
        "Low stock: Bolt M8",
        "Main Hall: 0.0000 available, minimum 10.0000.",
    )


async def test_only_managers_save_templates(
    runtime: Runtime, gql: GraphQLClient, tenant: TenantHandle
) -> None:
    keeper = await person(runtime, tenant, "warehouse")
    result = await gql(
        SAVE, {"input": {"name": "stock.low", "channel": "IN_APP", "body": "b"}}, token=keeper.token
    )
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    manager = await person(runtime, tenant, "manager")
    payload = await save(gql, manager.token, name="stock.low", body="b")
    assert payload["errors"] == []
    anonymous = await gql(TEMPLATES)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_services_refuse_unstorable_text_for_in_process_callers(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    from shared.errors import InvalidInput
    from subgraphs.notifications import templates
    from subgraphs.notifications.models import Channel

    async with runtime.db.transaction(tenant.id) as session:
        with pytest.raises(InvalidInput) as caught:
            await templates.save_template(
                session,
                tenant.id,
                name="stock.low",
                channel=Channel.EMAIL,
                locale="en",
                subject="\ud800",
                body="a\x00",
            )
    assert [(p.field, p.code, p.message) for p in caught.value.problems] == [
        ("subject", "INVALID", "Text must not contain unpaired surrogates (U+D800 to U+DFFF)"),
        ("body", "INVALID", "Text must not contain NUL (U+0000) characters"),
    ]
