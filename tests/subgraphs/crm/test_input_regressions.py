"""Regressions the schema fuzz (tests/nexo/test_fuzz.py) found in crm: each answered
INTERNAL_SERVER_ERROR before the input scalars (shared/graphql/scalars.py) or the fix
named in its docstring; each now answers a clear error and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from shared.context import Runtime
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.crm.test_crm import counts


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


CREATE_CUSTOMER = """mutation($i: CreateCustomerInput!) {
  createCustomer(input: $i) { customer { id } errors { field code } } }"""


async def test_nul_in_create_customer_is_bad_user_input_and_writes_nothing(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    before = await counts(runtime, tenant)
    answer = await crm_gql(CREATE_CUSTOMER, {"i": {"name": "Ac\x00me"}}, token=tenant.token)
    assert answer.get("data") is None
    assert codes(answer) == ["BAD_USER_INPUT"]
    assert "$i.name" in answer["errors"][0]["message"]
    literal = await crm_gql(
        'mutation { createCustomer(input: {name: "Ac\\u0000me"}) { errors { code } } }',
        token=tenant.token,
    )
    assert codes(literal) == ["BAD_USER_INPUT"]
    answer = await crm_gql(CREATE_CUSTOMER, {"i": {"name": "lone \ud800"}}, token=tenant.token)
    assert codes(answer) == ["BAD_USER_INPUT"]
    assert await counts(runtime, tenant) == before


@pytest.mark.parametrize("field", ["customers", "contacts", "leads", "deals"])
async def test_nul_in_a_search_is_bad_user_input(
    crm_gql: GraphQLClient, tenant: TenantHandle, field: str
) -> None:
    query = f"query($s: String) {{ {field}(filter: {{search: $s}}) {{ totalCount }} }}"
    answer = await crm_gql(query, {"s": "ab\x00"}, token=tenant.token)
    assert answer.get("data") is None
    assert codes(answer) == ["BAD_USER_INPUT"]


async def test_customers_tags_filter_finds_customers_with_all_the_tags(
    crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    """Was NotImplementedError: the column was the generic ARRAY, which has no `@>`;
    it is PostgreSQL's ARRAY now."""
    for name, tags in (("Both", ["VIP", "north"]), ("One", ["vip"]), ("None", [])):
        created = await crm_gql(
            CREATE_CUSTOMER, {"i": {"name": name, "tags": tags}}, token=tenant.token
        )
        assert created["data"]["createCustomer"]["errors"] == [], created

    async def named(tags: list[str]) -> list[str]:
        answer = await crm_gql(
            "query($t: [String!]) { customers(filter: {tags: $t}) { edges { node { name } } } }",
            {"t": tags},
            token=tenant.token,
        )
        assert "errors" not in answer, answer
        return sorted(e["node"]["name"] for e in answer["data"]["customers"]["edges"])

    assert await named(["vip"]) == ["Both", "One"]
    assert await named([" VIP ", "North"]) == ["Both"]
    assert await named(["nobody"]) == []
    assert await named(["", "  "]) == ["Both", "None", "One"]  # blank tags filter nothing


async def test_crm_stats_to_year_9999_is_bad_user_input(
    crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    """Was OverflowError (the day after 9999-12-31): dates end at 2999-12-31."""
    answer = await crm_gql(
        '{ crmStats(from: "2026-01-01", to: "9999-12-31") { __typename } }', token=tenant.token
    )
    assert answer.get("data") is None
    assert codes(answer) == ["BAD_USER_INPUT"]
    assert "between 1900-01-01 and 2999-12-31" in answer["errors"][0]["message"]


async def test_activity_due_at_the_end_of_time_is_bad_user_input(
    runtime: Runtime, crm_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    """Was an internal error (9999-12-31T23:59:59-05:00 is past PostgreSQL's and Python's
    last instant in UTC); an offset-less date-time is refused too."""
    created = await crm_gql(CREATE_CUSTOMER, {"i": {"name": "Due"}}, token=tenant.token)
    customer = created["data"]["createCustomer"]["customer"]["id"]
    before = await counts(runtime, tenant)
    query = """mutation($i: CreateActivityInput!) {
      createActivity(input: $i) { activity { id } errors { code } } }"""
    for due in ("9999-12-31T23:59:59-05:00", "2026-11-26T09:30:00"):
        answer = await crm_gql(
            query,
            {"i": {"type": "TASK", "subject": "x", "dueAt": due, "customerId": customer}},
            token=tenant.token,
        )
        assert answer.get("data") is None, due
        assert codes(answer) == ["BAD_USER_INPUT"], due
    assert await counts(runtime, tenant) == before
