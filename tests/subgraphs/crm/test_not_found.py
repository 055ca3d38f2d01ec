"""The one "not found" rule for mutations: an unknown, another tenant's or malformed id
answers the payload error NOT_FOUND at that id's input path, and nothing is written."""

from __future__ import annotations

import uuid
from typing import Any

from shared.context import Runtime
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.crm.test_crm import _customer, counts, mutate, ok


async def _id(gql: GraphQLClient, token: str, name: str, input: dict[str, Any], key: str) -> str:
    payload = await mutate(gql, token, name, input, f"{key} {{ id }}")
    assert payload["errors"] == [], payload
    return payload[key]["id"]  # type: ignore[no-any-return]


async def test_mutations_given_an_unknown_id_answer_not_found_and_write_nothing(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    a, b = tenant.token, other_tenant.token
    # Tenant A's records, which B must not reach.
    cid = await _customer(crm_gql, a)
    contact = await _id(crm_gql, a, "createContact", {"customerId": cid, "name": "C"}, "contact")
    lead = await _id(crm_gql, a, "createLead", {"name": "L", "source": "WEB"}, "lead")
    deal = await _id(
        crm_gql, a, "createDeal", {"customerId": cid, "title": "D", "amount": "1"}, "deal"
    )
    activity = await _id(
        crm_gql,
        a,
        "createActivity",
        {"type": "CALL", "subject": "S", "customerId": cid},
        "activity",
    )
    a_stage = (await ok(crm_gql, a, "{ pipeline { stages { stage { id } } } }"))["pipeline"][
        "stages"
    ][1]["stage"]["id"]
    # B's own records, for the cases where the unknown id is the second one.
    own_customer = await _customer(crm_gql, b, name="Own")
    own_deal = await _id(
        crm_gql, b, "createDeal", {"customerId": own_customer, "title": "D", "amount": "1"}, "deal"
    )
    own_lead = await _id(crm_gql, b, "createLead", {"name": "Q", "source": "WEB"}, "lead")
    await mutate(crm_gql, b, "qualifyLead", {"id": own_lead}, "__typename")
    before = (await counts(runtime, tenant), await counts(runtime, other_tenant))

    activity_input = {"type": "CALL", "subject": "S"}
    cases: list[tuple[str, dict[str, Any], str, str, str]] = [
        ("updateCustomer", {"name": "X"}, "id", cid, "customer"),
        ("archiveCustomer", {}, "id", cid, "customer"),
        ("unarchiveCustomer", {}, "id", cid, "customer"),
        ("createContact", {"name": "X"}, "customerId", cid, "customer"),
        ("updateContact", {"name": "X"}, "id", contact, "contact"),
        ("updateLead", {"name": "X"}, "id", lead, "lead"),
        ("qualifyLead", {}, "id", lead, "lead"),
        ("loseLead", {"reason": "R"}, "id", lead, "lead"),
        ("convertLead", {}, "leadId", lead, "lead"),
        ("convertLead", {"leadId": own_lead}, "customerId", cid, "customer"),
        ("createDeal", {"title": "X", "amount": "1"}, "customerId", cid, "customer"),
        (
            "createDeal",
            {"customerId": own_customer, "title": "X", "amount": "1"},
            "stageId",
            a_stage,
            "pipeline stage",
        ),
        ("updateDeal", {"title": "X"}, "id", deal, "deal"),
        ("moveDeal", {"stageId": a_stage}, "id", deal, "deal"),
        ("moveDeal", {"id": own_deal}, "stageId", a_stage, "pipeline stage"),
        ("winDeal", {}, "id", deal, "deal"),
        ("loseDeal", {"reason": "R"}, "id", deal, "deal"),
        ("completeActivity", {}, "id", activity, "activity"),
        ("createActivity", activity_input, "customerId", cid, "customer"),
        ("createActivity", activity_input, "contactId", contact, "contact"),
        ("createActivity", activity_input, "leadId", lead, "lead"),
        ("createActivity", activity_input, "dealId", deal, "deal"),
    ]
    for name, input, key, others, what in cases:
        for unknown in (others, str(uuid.uuid4()), "not-a-uuid"):
            payload = await mutate(crm_gql, b, name, {**input, key: unknown}, "__typename")
            assert payload["errors"] == [
                {"field": f"input.{key}", "code": "NOT_FOUND", "message": f"No {what} with this id"}
            ], (name, key, unknown, payload)
    assert (await counts(runtime, tenant), await counts(runtime, other_tenant)) == before
    seen = await ok(
        crm_gql,
        a,
        "query($c: ID!) { customer(id: $c) { name status contacts { name } } "
        "leads { edges { node { name status } } } "
        "deals { edges { node { title status stage { name } } } } "
        "activities { edges { node { done } } } }",
        c=cid,
    )
    assert seen == {
        "customer": {"name": "Acme", "status": "ACTIVE", "contacts": [{"name": "C"}]},
        "leads": {"edges": [{"node": {"name": "L", "status": "NEW"}}]},
        "deals": {
            "edges": [{"node": {"title": "D", "status": "OPEN", "stage": {"name": "Prospecting"}}}]
        },
        "activities": {"edges": [{"node": {"done": False}}]},
    }
