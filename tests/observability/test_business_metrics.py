"""The router's `/metrics` over NEXO's own graph: a workload moves the business counters
by exactly what committed; a mutation that rolls back moves nothing; random operation
names do not grow the number of series."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from router.metrics import MAX_OPERATIONS
from shared.context import Runtime
from tests.conftest import TenantHandle, make_tenant
from tests.observability.helpers import Samples, gql, scrape, value
from tests.subgraphs.sales.conftest import Shop, line, make_shop

LOGIN = """mutation($i: LoginInput!) {
  login(input: $i) { accessToken refreshToken errors { code } } }"""
REFRESH = """mutation($i: RefreshTokenInput!) {
  refreshToken(input: $i) { accessToken errors { code } } }"""
CREATE_DEAL = """mutation($i: CreateDealInput!) {
  createDeal(input: $i) { deal { id status } errors { field code message } } }"""
WIN_DEAL = """mutation($i: DealIdInput!) {
  winDeal(input: $i) { deal { id status } errors { field code message } } }"""
CREATE_ORDER = """mutation($i: CreateSalesOrderInput!) {
  createSalesOrder(input: $i) { order { id total { amount currency } } errors { code } } }"""
CONFIRM_ORDER = """mutation($i: ConfirmSalesOrderInput!) {
  confirmSalesOrder(input: $i) { order { id status } errors { field code message } } }"""


@pytest.fixture
async def shop(runtime: Runtime) -> Shop:
    tenant = await make_tenant(runtime, "Metrics Co")
    return await make_shop(runtime, tenant)


async def _login(client: httpx.AsyncClient, tenant: TenantHandle, password: str) -> dict[str, Any]:
    variables = {"i": {"tenant": tenant.slug, "email": tenant.admin_email, "password": password}}
    return (await gql(client, LOGIN, variables))["data"]["login"]


async def test_a_workload_moves_the_business_counters_by_exactly_what_committed(
    router: httpx.AsyncClient, shop: Shop
) -> None:
    tenant = shop.tenant
    before = await scrape(router)

    ok = [await _login(router, tenant, tenant.admin_password) for _ in range(2)]
    assert all(r["accessToken"] and r["errors"] == [] for r in ok)
    failed = await _login(router, tenant, "not the password")
    assert failed["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    refreshed = await gql(router, REFRESH, {"i": {"refreshToken": ok[0]["refreshToken"]}})
    assert refreshed["data"]["refreshToken"]["errors"] == []
    token = ok[1]["accessToken"]

    deal = await gql(
        router,
        CREATE_DEAL,
        {"i": {"customerId": str(shop.customer_id), "title": "Big one", "amount": "1000"}},
        token,
    )
    deal_id = deal["data"]["createDeal"]["deal"]["id"]
    won = await gql(router, WIN_DEAL, {"i": {"id": deal_id}}, token)
    assert won["data"]["winDeal"]["deal"]["status"] == "WON"
    again = await gql(router, WIN_DEAL, {"i": {"id": deal_id}}, token)  # refused: no count
    assert again["data"]["winDeal"]["errors"][0]["code"] == "DEAL_CLOSED"

    order = await gql(
        router,
        CREATE_ORDER,
        {"i": {"customerId": str(shop.customer_id), "lines": [line(shop.products["widget"], "2")]}},
        token,
    )
    created = order["data"]["createSalesOrder"]["order"]
    confirmed = await gql(router, CONFIRM_ORDER, {"i": {"id": created["id"]}}, token)
    assert confirmed["data"]["confirmSalesOrder"]["order"]["status"] == "CONFIRMED"

    after = await scrape(router)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    currency = created["total"]["currency"]
    assert moved("nexo_identity_logins_total", result="success") == 2
    assert moved("nexo_identity_logins_total", result="failure") == 1
    assert moved("nexo_identity_token_refreshes_total") == 1
    assert moved("nexo_crm_deals_created_total") == 1
    assert moved("nexo_crm_deals_won_total") == 1
    assert moved("nexo_crm_deals_lost_total") == 0
    assert moved("nexo_crm_deals_won_value_total", currency=currency) == 1000
    assert moved("nexo_sales_orders_confirmed_total", currency=currency) == 1
    assert moved("nexo_sales_orders_confirmed_value_total", currency=currency) == float(
        created["total"]["amount"]
    )
    # The router counted the same requests by operation (all anonymous here).
    assert moved("nexo_router_requests_total", operation="anonymous", outcome="ok") == 9


async def test_a_mutation_that_rolls_back_counts_nothing(
    router: httpx.AsyncClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deal is won inside the mutation's unit of work, then its payload fails: the
    unit of work rolls back, and so does the count."""
    from subgraphs.crm.graphql import mutations

    token = shop.tenant.token
    deal = await gql(
        router,
        CREATE_DEAL,
        {"i": {"customerId": str(shop.customer_id), "title": "Doomed", "amount": "50"}},
        token,
    )
    deal_id = deal["data"]["createDeal"]["deal"]["id"]
    before = await scrape(router)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the payload could not be built")

    monkeypatch.setattr(mutations.DealPayload, "of", broken)
    failed = await gql(router, WIN_DEAL, {"i": {"id": deal_id}}, token)
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()

    after = await scrape(router)
    for name in ("nexo_crm_deals_won_total",):
        assert value(after, name) == value(before, name)
    assert value(after, "nexo_crm_deals_won_value_total", currency="EUR") == value(
        before, "nexo_crm_deals_won_value_total", currency="EUR"
    )
    # Nothing was kept: the deal is still open and can be won for real, which counts.
    won = await gql(router, WIN_DEAL, {"i": {"id": deal_id}}, token)
    assert won["data"]["winDeal"]["deal"]["status"] == "WON"
    assert value(await scrape(router), "nexo_crm_deals_won_total") == (
        value(before, "nexo_crm_deals_won_total") + 1
    )


def _operation_series(samples: Samples) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {key for key in samples if key[0].startswith("nexo_router_request")}


@pytest.mark.slow
async def test_random_operation_names_add_a_bounded_number_of_series(
    router: httpx.AsyncClient,
) -> None:
    """10,000 requests, each with a new operation name: one in ten a new valid document
    by that name (past MAX_OPERATIONS names they count as `other`), the rest naming an
    operation the document does not have, or junk. The series stop growing."""
    from shared.logging import configure_logging

    configure_logging("WARNING")  # 10,000 request lines would only slow the test down
    try:
        before = _operation_series(await scrape(router))
        for i in range(10_000):
            name = f"Op{uuid.uuid4().hex}"
            if i % 10 == 0:
                body = {"query": f"query {name} {{ __typename }}", "operationName": name}
            elif i % 2:
                body = {"query": "query Known { __typename }", "operationName": name}
            else:
                body = {"query": "{ __typename }", "operationName": f"<{name!r}>"}
            response = await router.post("/graphql", json=body)
            assert response.status_code == 200
        samples = await scrape(router)
    finally:
        configure_logging("INFO")
    added = _operation_series(samples) - before
    names = {dict(labels).get("operation") for _, labels in _operation_series(samples)}
    # Per name: a counter per outcome seen, and a histogram (buckets, +Inf, sum, count,
    # created). At most MAX_OPERATIONS names plus `other` and `anonymous`.
    assert len(names - {None}) <= MAX_OPERATIONS + 2
    assert len(added) <= (MAX_OPERATIONS + 2) * 2 * 17
    assert not any(n and ("<" in n or "'" in n) for n in names)  # no reprs, no junk
    assert value(samples, "nexo_router_requests_total", operation="other", outcome="ok") > 0
    other = value(samples, "nexo_router_requests_total", operation="other", outcome="request_error")
    assert other >= 9_000
