"""Purchase orders through the purchases subgraph: requests for quotation priced and
rounded from the price list, gapless numbering, editing, sending, cancelling; bad input,
tenant isolation and permissions."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from shared.context import Runtime
from subgraphs.purchases.models import PurchaseOrder, PurchaseOrderLine
from tests.conftest import GraphQLClient, TenantHandle

from .conftest import (
    APPROVE,
    CANCEL,
    CREATE,
    SEND,
    UPDATE,
    Buyer,
    count,
    create_order,
    line,
    make_buyer,
    ok,
    refused,
    token_for,
)


async def test_a_request_for_quotation_rounds_and_prices_lines_from_the_price_list(
    gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await create_order(
        gql,
        buyer,
        [
            line(buyer.products["widget"], "7"),  # raised to the minimum of 10
            line(buyer.products["widget"], "95", taxPercent="20"),  # to 100, the 9.00 tier
            line(buyer.products["gadget"], "3", unitCost="2.4"),  # an explicit cost wins
            line(buyer.products["service"], "1", unitCost="150", description="Fitting"),
        ],
    )
    today = dt.date.today()
    assert order["number"] == f"PO-{today.year}-00001"
    assert (order["status"], order["billingStatus"], order["approvalStatus"]) == (
        "RFQ",
        "NOT_BILLED",
        "NOT_REVIEWED",
    )
    assert order["currency"] == "EUR"
    assert order["exchangeRate"] is None
    assert order["untaxedInBaseCurrency"] is None
    assert order["orderDate"] == today.isoformat()
    assert order["expectedDate"] == (today + dt.timedelta(days=5)).isoformat()
    assert [(ln["quantity"], ln["unitCost"], ln["untaxed"]["amount"]) for ln in order["lines"]] == [
        ("10.0000", "10.0000", "100.00"),
        ("100.0000", "9.0000", "900.00"),
        ("3.0000", "2.4000", "7.20"),
        ("1.0000", "150.0000", "150.00"),
    ]
    assert order["lines"][1]["tax"]["amount"] == "180.00"
    assert order["untaxed"] == {"amount": "1157.20", "currency": "EUR"}
    assert order["tax"] == {"amount": "180.00"}
    assert order["total"] == {"amount": "1337.20", "currency": "EUR"}
    assert order["lines"][0]["openQuantity"] == "10.0000"


async def test_a_line_without_a_price_needs_a_unit_cost_and_nothing_is_written(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    errors = await refused(
        gql,
        CREATE,
        {
            "supplierId": str(buyer.supplier_id),
            "currency": "USD",
            "lines": [line(buyer.products["gadget"], "3")],
        },
        buyer.purchasing,
        "createPurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.lines.0.unitCost", "REQUIRED")]
    assert await count(runtime, buyer.tenant.id, PurchaseOrder) == 0


async def test_bad_input_gives_payload_errors_and_writes_nothing(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    errors = await refused(
        gql,
        CREATE,
        {
            "supplierId": str(buyer.supplier_id),
            "currency": "euro",
            "orderDate": "2026-06-10",
            "expectedDate": "2026-06-01",
            "notes": "n" * 4001,
            "lines": [
                line(buyer.products["widget"], "0"),
                line(str(uuid.uuid4()), "1", unitCost="1"),  # type: ignore[arg-type]
                line(buyer.products["gadget"], "1.00001", unitCost="-1", taxPercent="101"),
                line(buyer.products["gadget"], "99999999999999", unitCost="2"),
                line(buyer.products["gadget"], "1", unitCost="1", description="d" * 2001),
            ],
        },
        buyer.purchasing,
        "createPurchaseOrder",
    )
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("input.currency", "INVALID_CURRENCY"),
        ("input.expectedDate", "INVALID_RANGE"),
        ("input.lines.0.quantity", "MUST_BE_POSITIVE"),
        ("input.lines.1.productId", "NOT_FOUND"),
        ("input.lines.2.quantity", "TOO_PRECISE"),
        ("input.lines.2.taxPercent", "OUT_OF_RANGE"),
        ("input.lines.2.unitCost", "NEGATIVE"),
        ("input.lines.3.quantity", "OUT_OF_RANGE"),
        ("input.lines.4.description", "TOO_LONG"),
        ("input.notes", "TOO_LONG"),
    ]
    errors = await refused(
        gql,
        CREATE,
        {"supplierId": str(buyer.supplier_id), "lines": []},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.lines", "REQUIRED")]
    assert await count(runtime, buyer.tenant.id, PurchaseOrder) == 0
    assert await count(runtime, buyer.tenant.id, PurchaseOrderLine) == 0


async def test_garbage_is_bad_user_input_and_writes_nothing(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    good = line(buyer.products["gadget"], "1")
    for garbage in (
        {"notes": "bad\x00note", "lines": [good]},
        {"lines": [{**good, "quantity": "NaN"}]},
        {"lines": [{**good, "quantity": "1e20"}]},
        {"lines": [{**good, "description": "\ud800"}]},
        {"lines": [good], "orderDate": "0001-01-01"},
    ):
        result = await gql(
            CREATE,
            {"input": {"supplierId": str(buyer.supplier_id), **garbage}},
            token=buyer.purchasing,
        )
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (garbage, result)
    assert await count(runtime, buyer.tenant.id, PurchaseOrder) == 0


async def test_numbers_are_gapless_under_concurrency_and_after_a_refusal(
    gql: GraphQLClient, buyer: Buyer
) -> None:
    await refused(
        gql,
        CREATE,
        {"supplierId": str(buyer.supplier_id), "lines": [line(buyer.products["gadget"], "-1")]},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    made = await asyncio.gather(
        *(create_order(gql, buyer, [line(buyer.products["gadget"], "1")]) for _ in range(8))
    )
    year = dt.date.today().year
    assert sorted(o["number"] for o in made) == [f"PO-{year}-{n:05d}" for n in range(1, 9)]


async def test_editing_replaces_lines_and_voids_an_approval_then_sending_freezes_nothing(
    gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await create_order(gql, buyer, [line(buyer.products["widget"], "10")])
    await ok(gql, APPROVE, {"id": order["id"]}, buyer.manager, "approvePurchaseOrder")
    updated = await ok(
        gql,
        UPDATE,
        {"id": order["id"], "lines": [line(buyer.products["gadget"], "4")], "notes": "call first"},
        buyer.purchasing,
        "updatePurchaseOrder",
    )
    changed = updated["order"]
    assert [(ln["quantity"], ln["unitCost"]) for ln in changed["lines"]] == [("4.0000", "2.5000")]
    assert changed["total"]["amount"] == "10.00"
    assert (changed["approvalStatus"], changed["approvedBy"]) == ("NOT_REVIEWED", None)
    sent = await ok(gql, SEND, {"id": order["id"]}, buyer.purchasing, "sendPurchaseOrder")
    assert sent["order"]["status"] == "SENT"
    again = await refused(gql, SEND, {"id": order["id"]}, buyer.purchasing, "sendPurchaseOrder")
    assert [(e["field"], e["code"]) for e in again] == [("input.id", "INVALID_TRANSITION")]
    # A sent request for quotation can still be changed (the supplier's answer).
    await ok(
        gql,
        UPDATE,
        {"id": order["id"], "expectedDate": "2099-01-01"},
        buyer.purchasing,
        "updatePurchaseOrder",
    )


async def test_cancel_only_before_goods_or_bills(gql: GraphQLClient, buyer: Buyer) -> None:
    order = await create_order(gql, buyer, [line(buyer.products["gadget"], "1")])
    cancelled = await ok(gql, CANCEL, {"id": order["id"]}, buyer.purchasing, "cancelPurchaseOrder")
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["order"]["cancelledAt"] is not None
    errors = await refused(
        gql,
        UPDATE,
        {"id": order["id"], "notes": "too late"},
        buyer.purchasing,
        "updatePurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.id", "NOT_EDITABLE")]
    errors = await refused(
        gql, CANCEL, {"id": order["id"]}, buyer.purchasing, "cancelPurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.id", "INVALID_TRANSITION")]


async def test_an_archived_supplier_takes_no_orders(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    archived = await ok(
        gql,
        "mutation($input: SupplierIdInput!) { archiveSupplier(input: $input) "
        "{ supplier { archived } errors { field code message } } }",
        {"id": str(buyer.supplier_id)},
        buyer.purchasing,
        "archiveSupplier",
    )
    assert archived["supplier"] == {"archived": True}
    errors = await refused(
        gql,
        CREATE,
        {"supplierId": str(buyer.supplier_id), "lines": [line(buyer.products["gadget"], "1")]},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.supplierId", "ARCHIVED")]


LIST = """
query($filter: PurchaseOrderFilter, $orderBy: PurchaseOrderOrder, $first: Int, $after: String) {
  purchaseOrders(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { number status total { amount } } }
  }
}"""


async def test_the_order_list_filters_sorts_and_pages(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    for quantity in ("1", "2", "3"):
        await create_order(gql, buyer, [line(buyer.products["gadget"], quantity)])
    other = await create_order(
        gql,
        buyer,
        [line(buyer.products["gadget"], "4")],
        orderDate="2025-01-15",
        notes="rush",
    )
    year = dt.date.today().year

    async def numbers(**variables: Any) -> list[str]:
        result = await gql(LIST, variables, token=buyer.viewer)
        assert "errors" not in result, result
        return [e["node"]["number"] for e in result["data"]["purchaseOrders"]["edges"]]

    by_total = await numbers(orderBy={"field": "TOTAL", "direction": "DESC"})
    assert by_total[0] == other["number"]
    assert await numbers(filter={"from": "2025-01-01", "to": "2025-12-31"}) == [other["number"]]
    assert await numbers(filter={"search": "RUSH"}) == [other["number"]]
    assert await numbers(filter={"search": "acme supply"}) != []
    assert await numbers(filter={"status": ["CONFIRMED"]}) == []
    assert await numbers(filter={"supplierId": str(uuid.uuid4())}) == []
    first = await gql(
        LIST, {"first": 2, "orderBy": {"field": "NUMBER", "direction": "ASC"}}, token=buyer.viewer
    )
    page = first["data"]["purchaseOrders"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"]
    rest = await numbers(
        first=2,
        after=page["pageInfo"]["endCursor"],
        orderBy={"field": "NUMBER", "direction": "ASC"},
    )
    # The 2025 order is numbered in 2025's series.
    assert other["number"] == "PO-2025-00001"
    assert rest == [f"PO-{year}-00002", f"PO-{year}-00003"]
    bad = await gql(LIST, {"after": "garbage"}, token=buyer.viewer)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    nul = await gql(LIST, {"filter": {"search": "a\x00b"}}, token=buyer.viewer)
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_other_tenants_ids_find_nothing_and_change_nothing(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer, other_tenant: TenantHandle
) -> None:
    order = await create_order(gql, buyer, [line(buyer.products["gadget"], "2")])
    stranger = await make_buyer(runtime, other_tenant)
    seen = await gql(
        "query($id: ID!) { purchaseOrder(id: $id) { id } supplier(id: $id) { id } "
        "vendorBill(id: $id) { id } }",
        {"id": order["id"]},
        token=stranger.manager,
    )
    assert seen == {"data": {"purchaseOrder": None, "supplier": None, "vendorBill": None}}
    for query, name, input in (
        (CANCEL, "cancelPurchaseOrder", {"id": order["id"]}),
        (SEND, "sendPurchaseOrder", {"id": order["id"]}),
        (UPDATE, "updatePurchaseOrder", {"id": order["id"], "notes": "x"}),
    ):
        errors = await refused(gql, query, input, stranger.manager, name)
        assert [(e["field"], e["code"]) for e in errors] == [("input.id", "NOT_FOUND")]
    errors = await refused(
        gql,
        CREATE,
        {"supplierId": str(buyer.supplier_id), "lines": [line(buyer.products["gadget"], "1")]},
        stranger.purchasing,
        "createPurchaseOrder",
    )
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("input.lines.0.productId", "NOT_FOUND"),
        ("input.supplierId", "NOT_FOUND"),
    ]
    still = await gql(
        "query($id: ID!) { purchaseOrder(id: $id) { status notes } }",
        {"id": order["id"]},
        token=buyer.viewer,
    )
    assert still["data"]["purchaseOrder"] == {"status": "RFQ", "notes": ""}
    assert await count(runtime, other_tenant.id, PurchaseOrder) == 0


async def test_permissions(runtime: Runtime, gql: GraphQLClient, buyer: Buyer) -> None:
    create = {"supplierId": str(buyer.supplier_id), "lines": [line(buyer.products["gadget"], "1")]}
    viewer = await gql(CREATE, {"input": create}, token=buyer.viewer)
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(LIST, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    sales = await token_for(runtime, buyer.tenant, "sales")
    reading = await gql(LIST, {}, token=sales)
    assert reading["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await count(runtime, buyer.tenant.id, PurchaseOrder) == 0


async def test_idempotency_key_replays_the_created_order(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    create = {"supplierId": str(buyer.supplier_id), "lines": [line(buyer.products["gadget"], "1")]}
    headers = {"Idempotency-Key": "po-1"}
    first = await ok(gql, CREATE, create, buyer.purchasing, "createPurchaseOrder", headers)
    again = await ok(gql, CREATE, create, buyer.purchasing, "createPurchaseOrder", headers)
    assert again["order"]["id"] == first["order"]["id"]
    assert await count(runtime, buyer.tenant.id, PurchaseOrder) == 1
    other = await gql(
        CREATE,
        {"input": {**create, "notes": "different"}},
        token=buyer.purchasing,
        headers=headers,
    )
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_suppliers_and_their_prices_through_graphql(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    created = await ok(
        gql,
        "mutation($input: CreateSupplierInput!) { createSupplier(input: $input) "
        "{ supplier { id name currency rating } errors { field code message } } }",
        {"name": "Bolt House", "currency": "usd", "rating": 4},
        buyer.purchasing,
        "createSupplier",
    )
    supplier = created["supplier"]
    assert (supplier["currency"], supplier["rating"]) == ("USD", 4)
    price = await ok(
        gql,
        "mutation($input: AddSupplierPriceInput!) { addSupplierPrice(input: $input) "
        "{ price { id price { amount currency } minQuantity orderMultiple supplier { name } "
        "product { id } } errors { field code message } } }",
        {
            "supplierId": supplier["id"],
            "productId": str(buyer.products["gadget"]),
            "terms": {"price": "1.95", "minQuantity": "50", "orderMultiple": "25"},
        },
        buyer.purchasing,
        "addSupplierPrice",
    )
    assert price["price"]["price"] == {"amount": "1.9500", "currency": "USD"}
    bad = await refused(
        gql,
        "mutation($input: UpdateSupplierPriceInput!) { updateSupplierPrice(input: $input) "
        "{ price { id } errors { field code message } } }",
        {
            "id": price["price"]["id"],
            "terms": {"price": "-2", "validFrom": "2026-02-01", "validTo": "2026-01-01"},
        },
        buyer.purchasing,
        "updateSupplierPrice",
    )
    assert sorted((e["field"], e["code"]) for e in bad) == [
        ("input.terms.price", "NEGATIVE"),
        ("input.terms.validTo", "INVALID_RANGE"),
    ]
    listed = await gql(
        "{ suppliers(orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { name "
        "prices { price { amount } } } } } }",
        token=buyer.viewer,
    )
    assert [e["node"]["name"] for e in listed["data"]["suppliers"]["edges"]] == [
        "Acme Supply",
        "Bolt House",
    ]
    best = await gql(
        'query($p: ID!) { bestSupplierPrice(productId: $p, quantity: "60", currency: "USD") '
        "{ price { amount } supplier { name } } }",
        {"p": str(buyer.products["gadget"])},
        token=buyer.viewer,
    )
    assert best["data"]["bestSupplierPrice"] == {
        "price": {"amount": "1.9500"},
        "supplier": {"name": "Bolt House"},
    }
    garbage = await gql(
        'query($p: ID!) { bestSupplierPrice(productId: $p, quantity: "NaN") { id } }',
        {"p": str(buyer.products["gadget"])},
        token=buyer.viewer,
    )
    assert garbage["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    removed = await ok(
        gql,
        "mutation($input: SupplierPriceIdInput!) { removeSupplierPrice(input: $input) "
        "{ removedId errors { field code message } } }",
        {"id": price["price"]["id"]},
        buyer.purchasing,
        "removeSupplierPrice",
    )
    assert removed["removedId"] == price["price"]["id"]
