"""The tenant's own profile — name, address, tax id — which its documents print: an admin
changes it, nobody else does, bad input changes nothing, and another tenant is untouched."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shared.context import Runtime
from subgraphs.identity.models import Tenant
from tests.conftest import GraphQLClient, TenantHandle, token_for

UPDATE = """
mutation($input: UpdateTenantInput!) {
  updateTenant(input: $input) {
    tenant { name taxId address { line1 line2 postalCode city region country } }
    errors { field code }
  }
}"""
READ = "{ me { tenant { name taxId address { line1 postalCode city country } } } }"
ADDRESS = {"line1": "Werkstraße 5", "postalCode": "4020", "city": "Linz", "country": "AT"}


async def _row(runtime: Runtime, tenant: TenantHandle) -> tuple[str, dict[str, Any], str]:
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        row = await session.scalar(select(Tenant).where(Tenant.id == tenant.id))
        assert row is not None
        return row.name, dict(row.address), row.tax_id


async def test_an_admin_sets_the_tenants_address_and_tax_id(
    identity_gql: GraphQLClient, tenant: TenantHandle, other_tenant: TenantHandle, runtime: Runtime
) -> None:
    other_before = await _row(runtime, other_tenant)
    result = await identity_gql(
        UPDATE,
        {"input": {"name": "  Linz Steel GmbH ", "address": ADDRESS, "taxId": "ATU12345678"}},
        token=tenant.token,
    )
    assert "errors" not in result, result
    payload = result["data"]["updateTenant"]
    assert payload["errors"] == []
    assert payload["tenant"] == {
        "name": "Linz Steel GmbH",
        "taxId": "ATU12345678",
        "address": {**ADDRESS, "line2": None, "region": None},
    }
    seen = await identity_gql(READ, token=await token_for(runtime, tenant, "viewer"))
    assert seen["data"]["me"]["tenant"] == {
        "name": "Linz Steel GmbH",
        "taxId": "ATU12345678",
        "address": ADDRESS,
    }
    # The address is replaced whole; a field left out of the input stays as it is.
    result = await identity_gql(
        UPDATE, {"input": {"address": {"city": "Wels"}}}, token=tenant.token
    )
    assert result["data"]["updateTenant"]["tenant"]["address"]["line1"] is None
    assert await _row(runtime, tenant) == ("Linz Steel GmbH", {"city": "Wels"}, "ATU12345678")
    assert await _row(runtime, other_tenant) == other_before


async def test_only_an_admin_changes_the_tenant(
    identity_gql: GraphQLClient, tenant: TenantHandle, runtime: Runtime
) -> None:
    before = await _row(runtime, tenant)
    for role in ("manager", "sales", "viewer"):
        token = await token_for(runtime, tenant, role)
        result = await identity_gql(UPDATE, {"input": {"name": "Taken Over"}}, token=token)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, result)
    anonymous = await identity_gql(UPDATE, {"input": {"name": "Taken Over"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _row(runtime, tenant) == before


async def test_bad_input_is_a_payload_error_and_changes_nothing(
    identity_gql: GraphQLClient, tenant: TenantHandle, runtime: Runtime
) -> None:
    before = await _row(runtime, tenant)
    cases = [
        ({"name": "   "}, [("input.name", "REQUIRED")]),
        ({"taxId": "X" * 51}, [("input.taxId", "TOO_LONG")]),
        (
            {"name": "Fine", "address": {"postalCode": "9" * 201}},
            [("input.address.postalCode", "TOO_LONG")],
        ),
    ]
    for given, expected in cases:
        result = await identity_gql(UPDATE, {"input": given}, token=tenant.token)
        assert "errors" not in result, result
        payload = result["data"]["updateTenant"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, given
        assert payload["tenant"] is None
    assert await _row(runtime, tenant) == before
    # NUL is refused by the String scalar itself, before any rule runs.
    result = await identity_gql(
        UPDATE, {"input": {"address": {"city": "Li\x00nz"}}}, token=tenant.token
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await _row(runtime, tenant) == before


async def test_an_update_reaches_only_the_bound_tenants_row(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    """Row-level security, not only the service's WHERE: bound to one tenant, an UPDATE of
    every tenant row changes that tenant's alone."""
    from sqlalchemy import update

    before = await _row(runtime, other_tenant)
    async with runtime.db.transaction(tenant.id) as session:
        await session.execute(update(Tenant).values(tax_id="EVERYONE"))
    assert (await _row(runtime, tenant))[2] == "EVERYONE"
    assert await _row(runtime, other_tenant) == before
