"""CRM through its GraphQL API: the sales flow, rules, isolation, permissions, efficiency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.context import Runtime
from shared.outbox import OutboxEvent
from subgraphs.crm.models import Contact, Customer, Deal, Lead
from tests.conftest import GraphQLClient, TenantHandle, make_tenant, token_for

ERR = "errors { field code message }"


async def ok(gql: GraphQLClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    result = await gql(query, variables, token=token)
    assert "errors" not in result, result
    return result["data"]  # type: ignore[no-any-return]


async def mutate(gql: GraphQLClient, token: str, name: str, input: dict[str, Any], sel: str) -> Any:
    data = await ok(
        gql,
        token,
        f"mutation($i: {_input_type(name)}!) {{ {name}(input: $i) {{ {sel} {ERR} }} }}",
        i=input,
    )
    return data[name]


def _input_type(name: str) -> str:
    special = {
        "archiveCustomer": "CustomerIdInput",
        "unarchiveCustomer": "CustomerIdInput",
        "qualifyLead": "LeadIdInput",
        "loseLead": "LoseInput",
        "loseDeal": "LoseInput",
        "winDeal": "DealIdInput",
        "completeActivity": "ActivityIdInput",
    }
    return special.get(name, name[0].upper() + name[1:] + "Input")


async def counts(runtime: Runtime, tenant: TenantHandle) -> dict[str, int]:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        return {
            m.__name__: await session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Customer, Contact, Lead, Deal, OutboxEvent)
        }


PIPELINE = (
    "{ pipeline { currency stages { stage { name probability } count "
    "amount { amount } weightedAmount { amount } } } }"
)


async def test_lead_to_won_deal_flow(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    token = await token_for(runtime, tenant, "sales")
    lead = await mutate(
        crm_gql,
        token,
        "createLead",
        {
            "name": "Grace Hopper",
            "companyName": "Navy Labs",
            "email": "grace@navy.example",
            "source": "EVENT",
        },
        "lead { id status }",
    )
    assert lead["errors"] == []
    lead_id = lead["lead"]["id"]
    # Leads that never convert count in the conversion rate's denominator.
    for name in ("Lost Larry", "New Nora", "New Ned"):
        await mutate(crm_gql, token, "createLead", {"name": name, "source": "WEB"}, "lead { id }")
    early = await mutate(crm_gql, token, "convertLead", {"leadId": lead_id}, "deal { id }")
    assert early["errors"][0]["code"] == "NOT_QUALIFIED"
    q = await mutate(crm_gql, token, "qualifyLead", {"id": lead_id}, "lead { status }")
    assert q["lead"]["status"] == "QUALIFIED"
    conv = await mutate(
        crm_gql,
        token,
        "convertLead",
        {"leadId": lead_id, "dealTitle": "Compilers", "amount": "12000.50"},
        "lead { status } customer { id name email } contact { name isPrimary } "
        "deal { id title amount { amount currency } probability stage { name } status }",
    )
    assert conv["errors"] == []
    assert conv["lead"]["status"] == "CONVERTED"
    assert conv["customer"]["name"] == "Navy Labs"
    assert conv["contact"] == {"name": "Grace Hopper", "isPrimary": True}
    deal = conv["deal"]
    assert deal["amount"] == {"amount": "12000.5000", "currency": "EUR"}
    assert (deal["stage"]["name"], deal["probability"], deal["status"]) == (
        "Prospecting",
        10,
        "OPEN",
    )

    # A second, open deal for the same customer stays in the pipeline.
    other = await mutate(
        crm_gql,
        token,
        "createDeal",
        {"customerId": conv["customer"]["id"], "title": "Support", "amount": "1000"},
        "deal { id }",
    )
    pipe = await ok(crm_gql, token, f"query {PIPELINE}")
    stage_rows = (await ok(crm_gql, token, "{ pipeline { stages { stage { id name } } } }"))[
        "pipeline"
    ]["stages"]
    stages = {s["stage"]["name"]: s["stage"]["id"] for s in stage_rows}
    assert list(stages) == ["Prospecting", "Qualification", "Proposal", "Negotiation"]
    assert pipe["pipeline"]["stages"][0] == {
        "stage": {"name": "Prospecting", "probability": 10},
        "count": 2,
        "amount": {"amount": "13000.5000"},
        "weightedAmount": {"amount": "1300.0500"},
    }

    for name in ("Qualification", "Proposal", "Negotiation"):
        moved = await mutate(
            crm_gql,
            token,
            "moveDeal",
            {"id": deal["id"], "stageId": stages[name]},
            "deal { probability }",
        )
        assert moved["errors"] == []
    await mutate(
        crm_gql,
        token,
        "moveDeal",
        {"id": other["deal"]["id"], "stageId": stages["Proposal"]},
        "deal { id }",
    )
    pipe = await ok(crm_gql, token, f"query {PIPELINE}")
    figures = {
        s["stage"]["name"]: (s["count"], s["amount"]["amount"], s["weightedAmount"]["amount"])
        for s in pipe["pipeline"]["stages"]
    }
    assert figures == {
        "Prospecting": (0, "0.0000", "0.0000"),
        "Qualification": (0, "0.0000", "0.0000"),
        "Proposal": (1, "1000.0000", "500.0000"),
        "Negotiation": (1, "12000.5000", "9000.3750"),
    }
    won = await mutate(
        crm_gql,
        token,
        "winDeal",
        {"id": deal["id"]},
        "deal { status probability history { status fromStage { name } toStage { name } changedBy { id } } }",
    )
    assert won["deal"]["status"] == "WON"
    assert [
        (h["status"], h["fromStage"] and h["fromStage"]["name"], h["toStage"]["name"])
        for h in won["deal"]["history"]
    ] == [
        ("OPEN", None, "Prospecting"),
        ("OPEN", "Prospecting", "Qualification"),
        ("OPEN", "Qualification", "Proposal"),
        ("OPEN", "Proposal", "Negotiation"),
        ("WON", "Negotiation", "Negotiation"),
    ]
    again = await mutate(crm_gql, token, "winDeal", {"id": deal["id"]}, "deal { id }")
    assert again["errors"][0]["code"] == "DEAL_CLOSED"
    lost = await mutate(
        crm_gql,
        token,
        "loseLead",
        {
            "id": (
                await mutate(
                    crm_gql,
                    token,
                    "createLead",
                    {"name": "Lost Lou", "source": "WEB"},
                    "lead { id }",
                )
            )["lead"]["id"],
            "reason": "No budget",
        },
        "lead { status lostReason }",
    )
    assert lost["lead"] == {"status": "LOST", "lostReason": "No budget"}

    pipe = await ok(crm_gql, token, f"query {PIPELINE}")
    assert [s["count"] for s in pipe["pipeline"]["stages"]] == [0, 0, 1, 0]
    today = dt.datetime.now(dt.UTC).date()
    stats = await ok(
        crm_gql,
        token,
        "query($f: Date!, $t: Date!) { crmStats(from: $f, to: $t) { dealsCreated dealsWon dealsLost "
        "winRate leadsCreated leadsConverted leadConversionRate } }",
        f=str(today - dt.timedelta(days=1)),
        t=str(today + dt.timedelta(days=1)),
    )
    assert stats["crmStats"] == {
        "dealsCreated": 2,
        "dealsWon": 1,
        "dealsLost": 0,
        "winRate": "1.0000",
        "leadsCreated": 5,
        "leadsConverted": 1,
        "leadConversionRate": "0.2000",
    }
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        types = sorted(
            (
                await session.scalars(
                    select(OutboxEvent.type).where(OutboxEvent.aggregate_type != "Tenant")
                )
            ).all()
        )
    assert types == ["customer.created", "deal.won", "lead.converted"]


LIST = (
    "query($n: Int!) { customers(first: $n) { totalCount "
    "edges { node { name owner { id } contacts { name } } } } }"
)


async def test_listing_customers_runs_a_fixed_number_of_statements(
    runtime: Runtime, crm_gql: GraphQLClient, owner_engine: AsyncEngine
) -> None:
    tenant = await make_tenant(runtime)
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "insert into crm.customer (tenant_id, id, name, owner_id) "
                "select :t, gen_random_uuid(), 'Customer ' || lpad(g::text, 4, '0'), :o "
                "from generate_series(1, 120) g"
            ),
            {"t": tenant.id, "o": tenant.admin_id},
        )
        await conn.execute(
            text(
                "insert into crm.contact (tenant_id, id, customer_id, name) "
                "select tenant_id, gen_random_uuid(), id, 'Contact of ' || name from crm.customer "
                "where tenant_id = :t"
            ),
            {"t": tenant.id},
        )
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        seen = []
        for n in (10, 100):
            statements.clear()
            data = await ok(crm_gql, tenant.token, LIST, n=n)
            edges = data["customers"]["edges"]
            assert len(edges) == n
            assert all(e["node"]["contacts"] and e["node"]["owner"]["id"] for e in edges)
            seen.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert seen[0] == seen[1], seen


CUSTOMER_Q = "query($id: ID!) { customer(id: $id) { id name } }"


async def _customer(gql: GraphQLClient, token: str, **extra: Any) -> str:
    payload = await mutate(
        gql, token, "createCustomer", {"name": "Acme", **extra}, "customer { id }"
    )
    assert payload["errors"] == [], payload
    return payload["customer"]["id"]  # type: ignore[no-any-return]


async def test_another_tenant_cannot_see_or_change_customers(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    cid = await _customer(crm_gql, tenant.token, email="a@acme.example")
    before = await counts(runtime, tenant)
    b = other_tenant.token
    assert (await ok(crm_gql, b, CUSTOMER_Q, id=cid))["customer"] is None
    refs = await ok(
        crm_gql,
        b,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }",
        r=[{"__typename": "Customer", "id": cid}],
    )
    assert refs["_entities"] == [None]
    for name, input in (
        ("updateCustomer", {"id": cid, "name": "Hijacked"}),
        ("archiveCustomer", {"id": cid}),
    ):
        payload = await mutate(crm_gql, b, name, input, "customer { id }")
        assert payload == {
            "customer": None,
            "errors": [
                {"field": "input.id", "code": "NOT_FOUND", "message": "No customer with this id"}
            ],
        }, (name, payload)
    for name, input in (
        ("createContact", {"customerId": cid, "name": "Mole"}),
        ("createDeal", {"customerId": cid, "title": "Steal", "amount": "1"}),
    ):
        payload = await mutate(crm_gql, b, name, input, "__typename")
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await counts(runtime, tenant) == before
    assert (await ok(crm_gql, tenant.token, CUSTOMER_Q, id=cid))["customer"]["name"] == "Acme"


async def test_viewer_is_forbidden_to_change_and_sales_may(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    viewer = await token_for(runtime, tenant, "viewer")
    sales = await token_for(runtime, tenant, "sales")
    cid = await _customer(crm_gql, sales)
    before = await counts(runtime, tenant)
    for name, input in (
        ("createCustomer", {"name": "X"}),
        ("updateCustomer", {"id": cid, "name": "X"}),
        ("archiveCustomer", {"id": cid}),
        ("unarchiveCustomer", {"id": cid}),
        ("createContact", {"customerId": cid, "name": "X"}),
        ("createLead", {"name": "X", "source": "WEB"}),
        ("createDeal", {"customerId": cid, "title": "X", "amount": "1"}),
        ("createActivity", {"type": "CALL", "subject": "X", "customerId": cid}),
    ):
        result = await crm_gql(
            f"mutation($i: {_input_type(name)}!) {{ {name}(input: $i) {{ {ERR} }} }}",
            {"i": input},
            token=viewer,
        )
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, result)
    assert await counts(runtime, tenant) == before
    assert (await ok(crm_gql, viewer, CUSTOMER_Q, id=cid))["customer"]["id"] == cid
    archived = await mutate(crm_gql, sales, "archiveCustomer", {"id": cid}, "customer { status }")
    assert archived["customer"]["status"] == "ARCHIVED"


async def test_bad_input_gives_field_errors_and_writes_nothing(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    token = tenant.token
    cid = await _customer(crm_gql, token, email="dup@acme.example", taxId="DE 123 456")
    archived = await _customer(crm_gql, token, name="Gone")
    await mutate(crm_gql, token, "archiveCustomer", {"id": archived}, "__typename")
    lead = (
        await mutate(crm_gql, token, "createLead", {"name": "L", "source": "WEB"}, "lead { id }")
    )["lead"]["id"]
    before = await counts(runtime, tenant)
    cases = [
        (
            "createCustomer",
            {"name": " ", "email": "nope"},
            {("input.name", "REQUIRED"), ("input.email", "INVALID_EMAIL")},
        ),
        (
            "createCustomer",
            {"name": "B", "email": "DUP@acme.example"},
            {("input.email", "DUPLICATE")},
        ),
        ("createCustomer", {"name": "B", "taxId": "de123456"}, {("input.taxId", "DUPLICATE")}),
        (
            "createCustomer",
            {"name": "B", "currency": "euro", "creditLimit": "-1"},
            {("input.currency", "INVALID_CURRENCY"), ("input.creditLimit", "INVALID_AMOUNT")},
        ),
        ("updateCustomer", {"id": archived, "name": "Back"}, {("input.id", "ARCHIVED")}),
        ("archiveCustomer", {"id": archived}, {("input.id", "ALREADY_ARCHIVED")}),
        ("unarchiveCustomer", {"id": cid}, {("input.id", "NOT_ARCHIVED")}),
        (
            "createContact",
            {"customerId": archived, "name": "C"},
            {("input.customerId", "ARCHIVED")},
        ),
        (
            "createLead",
            {"name": "", "source": "WEB", "email": "x"},
            {("input.name", "REQUIRED"), ("input.email", "INVALID_EMAIL")},
        ),
        ("convertLead", {"leadId": lead}, {("input.leadId", "NOT_QUALIFIED")}),
        ("loseLead", {"id": lead, "reason": " "}, {("input.reason", "REQUIRED")}),
        (
            "createDeal",
            {"customerId": cid, "title": "", "amount": "-5", "probability": 101},
            {
                ("input.title", "REQUIRED"),
                ("input.amount", "INVALID_AMOUNT"),
                ("input.probability", "OUT_OF_RANGE"),
            },
        ),
        ("createActivity", {"type": "CALL", "subject": "S"}, {("input", "LINK_REQUIRED")}),
    ]
    for name, input, expected in cases:
        payload = await mutate(crm_gql, token, name, input, "__typename")
        assert {(e["field"], e["code"]) for e in payload["errors"]} == expected, (name, payload)
    assert await counts(runtime, tenant) == before


async def test_overdue_activities_and_orderable_customers(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    from shared.codes import Code
    from shared.errors import Problem
    from subgraphs.crm import api as crm

    token = tenant.token
    cid = await _customer(crm_gql, token)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    for subject, due in (("late", past), ("soon", future)):
        await mutate(
            crm_gql,
            token,
            "createActivity",
            {"type": "TASK", "subject": subject, "dueAt": due, "customerId": cid},
            "activity { id }",
        )
    q = "{ activities(filter: {overdue: true}) { edges { node { subject overdue } } } }"
    assert (await ok(crm_gql, token, q))["activities"]["edges"] == [
        {"node": {"subject": "late", "overdue": True}}
    ]
    import uuid as _uuid

    async with runtime.db.transaction(tenant.id) as session:
        assert (
            await crm.get_orderable_customer(session, tenant.id, _uuid.UUID(cid))
        ).name == "Acme"
        with pytest.raises(crm.CustomerNotOrderable) as caught:
            await crm.get_orderable_customer(session, tenant.id, _uuid.uuid4())
        assert caught.value.code == Code.NOT_FOUND
        assert caught.value.problems == [
            Problem("customerId", Code.NOT_FOUND, "No customer with this id")
        ]
        await crm.set_customer_status(
            session, tenant.id, customer_id=_uuid.UUID(cid), archived=True
        )
        with pytest.raises(crm.CustomerNotOrderable) as caught:
            await crm.get_orderable_customer(session, tenant.id, _uuid.UUID(cid), field="id")
        assert caught.value.code == Code.CUSTOMER_ARCHIVED
        assert caught.value.problems == [
            Problem("id", Code.CUSTOMER_ARCHIVED, "The customer is archived")
        ]
