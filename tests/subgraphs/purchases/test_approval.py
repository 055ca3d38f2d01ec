"""Approval and confirmation: the threshold in base currency, who may approve, refusals
with their reason, and the exchange rate fixed at confirmation."""

from __future__ import annotations

from shared.context import Runtime
from tests.conftest import GraphQLClient

from .conftest import (
    APPROVE,
    CONFIRM,
    REJECT,
    Buyer,
    add_supplier,
    create_order,
    events,
    line,
    ok,
    refused,
    set_policy,
)


async def test_above_the_threshold_purchasing_cannot_confirm_or_approve_until_a_manager_does(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, threshold="1000")
    order = await create_order(gql, buyer, [line(buyer.products["widget"], "110")])  # 990.00
    small = await ok(gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder")
    assert small["order"]["status"] == "CONFIRMED"
    assert small["order"]["approvalStatus"] == "NOT_REVIEWED"

    big = await create_order(gql, buyer, [line(buyer.products["widget"], "120")])  # 1080.00
    errors = await refused(
        gql, CONFIRM, {"id": big["id"]}, buyer.purchasing, "confirmPurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.id", "APPROVAL_REQUIRED")]
    assert "1080.00 EUR is above the approval threshold of 1000" in errors[0]["message"]
    forbidden = await gql(APPROVE, {"input": {"id": big["id"]}}, token=buyer.purchasing)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert forbidden["data"] is None

    approved = await ok(gql, APPROVE, {"id": big["id"]}, buyer.manager, "approvePurchaseOrder")
    assert approved["order"]["approvalStatus"] == "APPROVED"
    assert approved["order"]["approvedBy"] is not None
    assert approved["order"]["approvedAt"] is not None
    assert approved["order"]["status"] == "RFQ"
    again = await refused(gql, APPROVE, {"id": big["id"]}, buyer.manager, "approvePurchaseOrder")
    assert [(e["field"], e["code"]) for e in again] == [("input.id", "ALREADY_DONE")]
    confirmed = await ok(gql, CONFIRM, {"id": big["id"]}, buyer.purchasing, "confirmPurchaseOrder")
    order = confirmed["order"]
    assert (order["status"], order["exchangeRate"]) == ("CONFIRMED", "1.00000000")
    assert order["untaxedInBaseCurrency"] == {"amount": "1080.00", "currency": "EUR"}
    assert order["approvedBy"] == approved["order"]["approvedBy"]
    late = await refused(gql, APPROVE, {"id": big["id"]}, buyer.manager, "approvePurchaseOrder")
    assert [(e["field"], e["code"]) for e in late] == [("input.id", "INVALID_STATE")]


async def test_a_manager_confirming_above_the_threshold_approves_on_the_spot(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, threshold="100")
    order = await create_order(gql, buyer, [line(buyer.products["widget"], "20")])  # 200.00
    confirmed = await ok(gql, CONFIRM, {"id": order["id"]}, buyer.manager, "confirmPurchaseOrder")
    assert confirmed["order"]["approvalStatus"] == "APPROVED"
    assert confirmed["order"]["approvedBy"] is not None
    [payload] = await events(runtime, buyer.tenant.id, "po.confirmed")
    assert payload == {
        "number": order["number"],
        "supplierId": str(buyer.supplier_id),
        "currency": "EUR",
        "total": "200.00",
        "exchangeRate": "1",
        "expectedDate": order["expectedDate"],
        "approvedBy": confirmed["order"]["approvedBy"]["id"],
    }


async def test_a_refusal_keeps_its_reason_and_blocks_confirmation_until_approved(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, threshold="100")
    order = await create_order(gql, buyer, [line(buyer.products["widget"], "20")])
    blank = await refused(
        gql, REJECT, {"id": order["id"], "reason": "  "}, buyer.manager, "rejectPurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in blank] == [("input.reason", "REQUIRED")]
    rejected = await ok(
        gql,
        REJECT,
        {"id": order["id"], "reason": "Ask a second supplier"},
        buyer.manager,
        "rejectPurchaseOrder",
    )
    o = rejected["order"]
    assert (o["approvalStatus"], o["rejectionReason"]) == ("REJECTED", "Ask a second supplier")
    assert o["rejectedBy"] is not None and o["rejectedAt"] is not None
    for token in (buyer.purchasing, buyer.manager):
        errors = await refused(gql, CONFIRM, {"id": order["id"]}, token, "confirmPurchaseOrder")
        assert [(e["field"], e["code"]) for e in errors] == [("input.id", "APPROVAL_REQUIRED")]
        assert errors[0]["message"] == "The order's approval was refused: Ask a second supplier"
    await ok(gql, APPROVE, {"id": order["id"]}, buyer.manager, "approvePurchaseOrder")
    confirmed = await ok(
        gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder"
    )
    assert confirmed["order"]["status"] == "CONFIRMED"
    # The refusal stays on record.
    assert confirmed["order"]["rejectionReason"] == "Ask a second supplier"


async def test_a_foreign_currency_order_needs_its_rate_and_the_threshold_applies_in_base(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, threshold="1000")
    usd = await add_supplier(runtime, buyer.tenant.id, "Dollar Inc", currency="USD")
    created = await ok(
        gql,
        "mutation($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input) "
        "{ order { id currency } errors { field code message } } }",
        {"supplierId": str(usd), "lines": [line(buyer.products["gadget"], "100", unitCost="10")]},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    order = created["order"]
    assert order["currency"] == "USD"
    missing = await refused(
        gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in missing] == [
        ("input.exchangeRate", "EXCHANGE_RATE_MISSING")
    ]
    for bad, code in (
        ("0", "MUST_BE_POSITIVE"),
        ("1.123456789", "TOO_PRECISE"),
        ("1e12", "OUT_OF_RANGE"),
    ):
        errors = await refused(
            gql,
            CONFIRM,
            {"id": order["id"], "exchangeRate": bad},
            buyer.purchasing,
            "confirmPurchaseOrder",
        )
        assert [(e["field"], e["code"]) for e in errors] == [("input.exchangeRate", code)]
    garbage = await gql(
        CONFIRM, {"input": {"id": order["id"], "exchangeRate": "1e20"}}, token=buyer.purchasing
    )
    assert garbage["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # 1000 USD x 1.05 = 1050 EUR: above the threshold in base currency.
    above = await refused(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "1.05"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in above] == [("input.id", "APPROVAL_REQUIRED")]
    # At 0.92 it is 920 EUR: below.
    confirmed = await ok(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "0.92"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    assert confirmed["order"]["exchangeRate"] == "0.92000000"
    assert confirmed["order"]["untaxedInBaseCurrency"] == {"amount": "920.00", "currency": "EUR"}


async def test_an_order_in_base_currency_takes_no_other_rate(
    gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await create_order(gql, buyer, [line(buyer.products["gadget"], "1")])
    errors = await refused(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "1.1"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.exchangeRate", "BASE_CURRENCY")]
    confirmed = await ok(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "1"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    assert confirmed["order"]["exchangeRate"] == "1.00000000"
    twice = await refused(
        gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in twice] == [("input.id", "INVALID_TRANSITION")]


async def test_the_policy_needs_purchases_approve_and_valid_numbers(
    gql: GraphQLClient, buyer: Buyer
) -> None:
    mutation = (
        "mutation($input: SetPurchasePolicyInput!) { setPurchasePolicy(input: $input) "
        "{ policy { approvalThreshold { amount currency } receiptTolerancePercent "
        "matchTolerancePercent baseCurrency } errors { field code message } } }"
    )
    refused_role = await gql(
        mutation, {"input": {"approvalThreshold": "5"}}, token=buyer.purchasing
    )
    assert refused_role["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await refused(
        gql,
        mutation,
        {
            "approvalThreshold": "-1",
            "receiptTolerancePercent": "101",
            "matchTolerancePercent": "0.00001",
        },
        buyer.manager,
        "setPurchasePolicy",
    )
    assert sorted((e["field"], e["code"]) for e in bad) == [
        ("input.approvalThreshold", "INVALID_AMOUNT"),
        ("input.matchTolerancePercent", "TOO_PRECISE"),
        ("input.receiptTolerancePercent", "OUT_OF_RANGE"),
    ]
    done = await ok(
        gql,
        mutation,
        {"approvalThreshold": "2500", "receiptTolerancePercent": "5", "matchTolerancePercent": "2"},
        buyer.manager,
        "setPurchasePolicy",
    )
    assert done["policy"] == {
        "approvalThreshold": {"amount": "2500.00", "currency": "EUR"},
        "receiptTolerancePercent": "5.0000",
        "matchTolerancePercent": "2.0000",
        "baseCurrency": "EUR",
    }
    read = await gql("{ purchasePolicy { approvalThreshold { amount } } }", token=buyer.viewer)
    assert read["data"]["purchasePolicy"] == {"approvalThreshold": {"amount": "2500.00"}}
