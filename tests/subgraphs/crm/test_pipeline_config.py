"""Configuring the pipeline: rename, reorder, add and remove stages in one change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shared.context import Runtime
from subgraphs.crm.models import PipelineStage
from tests.conftest import GraphQLClient, TenantHandle, token_for

STAGES = "{ pipeline { stages { stage { id name position probability } } } }"
CONFIGURE = """mutation($i: ConfigurePipelineInput!) { configurePipeline(input: $i) {
  stages { id name position probability } errors { field code } } }"""


async def stages(gql: GraphQLClient, token: str) -> list[dict[str, Any]]:
    r = await gql(STAGES, token=token)
    return [s["stage"] for s in r["data"]["pipeline"]["stages"]]


async def configure(gql: GraphQLClient, token: str, specs: list[dict[str, Any]]) -> dict[str, Any]:
    r = await gql(CONFIGURE, {"i": {"stages": specs}}, token=token)
    assert "errors" not in r, r
    return r["data"]["configurePipeline"]  # type: ignore[no-any-return]


async def test_reorder_rename_add_and_remove(crm_gql: GraphQLClient, tenant: TenantHandle) -> None:
    token = tenant.token
    p, q, pr, n = await stages(crm_gql, token)  # the four defaults
    result = await configure(
        crm_gql,
        token,
        [
            {"id": q["id"], "name": "Discovery", "probability": 20},
            {"id": p["id"], "name": "Qualification", "probability": 5},  # takes q's old name
            {"name": "Trial", "probability": 60},
            {"id": n["id"], "name": "Negotiation", "probability": 80},
        ],
    )
    assert result["errors"] == []
    after = await stages(crm_gql, token)
    assert [(s["name"], s["position"], s["probability"]) for s in after] == [
        ("Discovery", 1, 20),
        ("Qualification", 2, 5),
        ("Trial", 3, 60),
        ("Negotiation", 4, 80),
    ]
    assert [s["id"] for s in after][:2] == [q["id"], p["id"]]
    assert pr["id"] not in {s["id"] for s in after}


async def test_stage_with_deals_cannot_be_removed_and_bad_input_changes_nothing(
    crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    token = tenant.token
    before = await stages(crm_gql, token)
    customer = await crm_gql(
        'mutation { createCustomer(input: {name: "Pipe Co"}) { customer { id } errors { code } } }',
        token=token,
    )
    cid = customer["data"]["createCustomer"]["customer"]["id"]
    deal = await crm_gql(
        "mutation($i: CreateDealInput!) { createDeal(input: $i) { errors { code } } }",
        {"i": {"customerId": cid, "title": "Big", "amount": "100"}},
        token=token,
    )
    assert deal["data"]["createDeal"]["errors"] == []
    keep_all_but_first = [
        {"id": s["id"], "name": s["name"], "probability": s["probability"]} for s in before[1:]
    ]
    refused = await configure(crm_gql, token, keep_all_but_first)
    assert refused["stages"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input.stages", "STAGE_IN_USE")
    ]
    bad = await configure(
        crm_gql,
        token,
        [
            {"name": "A", "probability": 101},
            {"name": "a", "probability": 10},
            {"id": "00000000-0000-0000-0000-000000000001", "name": "B", "probability": 10},
        ],
    )
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("input.stages.0.probability", "OUT_OF_RANGE"),
        ("input.stages.1.name", "DUPLICATE"),
        ("input.stages.2.id", "NOT_FOUND"),
        ("input.stages", "STAGE_IN_USE"),  # every existing stage was left out
    }
    empty = await configure(crm_gql, token, [])
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [
        ("input.stages", "REQUIRED"),
        ("input.stages", "STAGE_IN_USE"),
    ]
    assert await stages(crm_gql, token) == before


async def test_viewer_cannot_configure(
    runtime: Any, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    viewer = await token_for(runtime, tenant, "viewer")
    r = await crm_gql(CONFIGURE, {"i": {"stages": [{"name": "X", "probability": 1}]}}, token=viewer)
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_leads_order_and_activities_by_contact(
    crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    token = tenant.token
    for name in ("Bravo", "Alpha", "Charlie"):
        r = await crm_gql(
            "mutation($i: CreateLeadInput!) { createLead(input: $i) { errors { code } } }",
            {"i": {"name": name, "source": "WEB"}},
            token=token,
        )
        assert r["data"]["createLead"]["errors"] == []
    by_name = await crm_gql(
        "{ leads(orderBy: {field: NAME, direction: ASC}) { edges { node { name } } } }", token=token
    )
    assert [e["node"]["name"] for e in by_name["data"]["leads"]["edges"]] == [
        "Alpha",
        "Bravo",
        "Charlie",
    ]
    newest_first = await crm_gql("{ leads { edges { node { name } } } }", token=token)
    assert [e["node"]["name"] for e in newest_first["data"]["leads"]["edges"]] == [
        "Charlie",
        "Alpha",
        "Bravo",
    ]

    customer = await crm_gql(
        'mutation { createCustomer(input: {name: "Act Co"}) { customer { id } } }', token=token
    )
    cid = customer["data"]["createCustomer"]["customer"]["id"]
    contacts = []
    for name in ("Ann", "Bob"):
        c = await crm_gql(
            "mutation($i: CreateContactInput!) { createContact(input: $i) { contact { id } errors { code } } }",
            {"i": {"customerId": cid, "name": name}},
            token=token,
        )
        contacts.append(c["data"]["createContact"]["contact"]["id"])
    for contact, subject in zip(contacts, ("Call Ann", "Mail Bob"), strict=True):
        a = await crm_gql(
            "mutation($i: CreateActivityInput!) { createActivity(input: $i) { errors { field code } } }",
            {"i": {"type": "CALL", "subject": subject, "contactId": contact}},
            token=token,
        )
        assert a["data"]["createActivity"]["errors"] == []
    only_bob = await crm_gql(
        "query($c: ID!) { activities(filter: {contactId: $c}) { edges { node { subject } } } }",
        {"c": contacts[1]},
        token=token,
    )
    assert [e["node"]["subject"] for e in only_bob["data"]["activities"]["edges"]] == ["Mail Bob"]


async def stored(runtime: Runtime, tenant: TenantHandle) -> int:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        return await session.scalar(select(func.count()).select_from(PipelineStage)) or 0


async def test_reading_the_pipeline_writes_nothing_and_the_defaults_keep_their_ids(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    token = tenant.token
    defaults = await stages(crm_gql, token)
    assert [(s["name"], s["position"], s["probability"]) for s in defaults] == [
        ("Prospecting", 1, 10),
        ("Qualification", 2, 25),
        ("Proposal", 3, 50),
        ("Negotiation", 4, 75),
    ]
    assert await stages(crm_gql, token) == defaults
    assert await stored(runtime, tenant) == 0
    customer = await crm_gql(
        'mutation { createCustomer(input: {name: "Early Co"}) { customer { id } } }', token=token
    )
    cid = customer["data"]["createCustomer"]["customer"]["id"]
    # A deal placed in a stage read before the defaults were stored: the first write
    # stores them, under the ids the client saw.
    deal = await crm_gql(
        "mutation($i: CreateDealInput!) { createDeal(input: $i) { "
        "deal { stage { id name } probability } errors { field code } } }",
        {"i": {"customerId": cid, "title": "Early", "amount": "5", "stageId": defaults[2]["id"]}},
        token=token,
    )
    assert deal["data"]["createDeal"] == {
        "deal": {"stage": {"id": defaults[2]["id"], "name": "Proposal"}, "probability": 50},
        "errors": [],
    }
    assert await stored(runtime, tenant) == 4
    assert await stages(crm_gql, token) == defaults
