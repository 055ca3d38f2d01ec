"""Production's GraphQL surface on its own subgraph: the order life cycle through
mutations, payload errors, the Idempotency-Key, permissions and tenant isolation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.production.models import BillOfMaterials, ProductionOrder, QualityCheck
from tests.conftest import GraphQLClient, TenantHandle, make_tenant, token_for

from .conftest import Plant, events, levels, make_plant, row_count

D = Decimal

ORDER = """
    id number status quantity producedQuantity unitCost materialCost operationCost
    product { id bom { version } }
    components { quantity reserved consumed unitCost product { id } }
    workOrders { id name status plannedMinutes actualMinutes cost workCenter { code } }
    qualityChecks { passed measuredValue note checkedBy { id } template { name } }
    children { number quantity status }
    backorders { number quantity status }
"""

CREATE = f"""
mutation($input: CreateProductionOrderInput!) {{
  createProductionOrder(input: $input) {{ productionOrder {{ {ORDER} }} errors {{ field code message }} }}
}}"""
CONFIRM = f"""
mutation($input: ConfirmProductionOrderInput!) {{
  confirmProductionOrder(input: $input) {{ productionOrder {{ {ORDER} }} errors {{ field code message }} }}
}}"""
COMPLETE = f"""
mutation($input: CompleteProductionOrderInput!) {{
  completeProductionOrder(input: $input) {{ productionOrder {{ {ORDER} }} errors {{ field code message }} }}
}}"""
CANCEL = f"""
mutation($id: ID!) {{
  cancelProductionOrder(input: {{id: $id}}) {{ productionOrder {{ {ORDER} }} errors {{ field code }} }}
}}"""
START = """
mutation($id: ID!) { startWorkOrder(input: {id: $id}) {
  workOrder { status productionOrder { status } } errors { field code } } }"""
FINISH = """
mutation($id: ID!, $minutes: Decimal) { finishWorkOrder(input: {id: $id, actualMinutes: $minutes}) {
  workOrder { status cost } errors { field code } } }"""
TEMPLATE = """
mutation($input: CreateQualityCheckTemplateInput!) { createQualityCheckTemplate(input: $input) {
  qualityCheckTemplate { id name } errors { field code } } }"""
CHECK = """
mutation($input: RecordQualityCheckInput!) { recordQualityCheck(input: $input) {
  qualityCheck { passed } productionOrder { status } errors { field code message } } }"""


def refused(result: dict[str, Any], name: str, field: str, code: str) -> None:
    """Refused as the payload error (field, code), or as BAD_USER_INPUT where the schema's
    scalars refuse the value first (NaN, beyond numeric(18,4), a NUL); never internal."""
    if result.get("errors"):
        assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"], result
        assert code in ("OUT_OF_RANGE", "MUST_BE_POSITIVE", "INVALID"), result
        return
    errors = [{"field": e["field"], "code": e["code"]} for e in result["data"][name]["errors"]]
    assert {"field": field, "code": code} in errors, (field, code, errors)


def _ok(result: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in result, result
    payload = result["data"][name]
    assert payload["errors"] == [], payload
    return payload  # type: ignore[no-any-return]


async def _create(gql: GraphQLClient, plant: Plant, sku: str = "CART", quantity: str = "2") -> dict:
    r = await gql(
        CREATE,
        {
            "input": {
                "productId": str(plant[sku]),
                "quantity": quantity,
                "warehouseId": str(plant.warehouse_id),
                "dueDate": "2030-01-15",
            }
        },
        token=plant.tenant.token,
    )
    return _ok(r, "createProductionOrder")["productionOrder"]  # type: ignore[no-any-return]


async def test_an_order_goes_through_its_life_over_graphql(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    token = plant.tenant.token
    order = await _create(gql, plant, "FRAME", "5")
    assert (order["status"], order["components"], order["workOrders"]) == ("DRAFT", [], [])
    assert order["product"]["bom"] == {"version": 1}
    confirmed = _ok(
        await gql(CONFIRM, {"input": {"id": order["id"]}}, token=token), "confirmProductionOrder"
    )
    got = confirmed["productionOrder"]
    assert got["status"] == "CONFIRMED"
    assert [(c["quantity"], c["reserved"], c["consumed"]) for c in got["components"]] == [
        ("10.0000", "10.0000", "0.0000"),  # steel
        ("20.0000", "20.0000", "0.0000"),  # bolts
    ]
    [weld] = got["workOrders"]
    assert (weld["name"], weld["status"], weld["plannedMinutes"], weld["workCenter"]) == (
        "Weld",
        "READY",
        "150.0000",
        {"code": "WELD"},
    )
    refused = await gql(COMPLETE, {"input": {"id": order["id"]}}, token=token)
    assert refused["data"]["completeProductionOrder"]["errors"][0]["code"] == "WORK_ORDERS_OPEN"

    started = _ok(await gql(START, {"id": weld["id"]}, token=token), "startWorkOrder")
    assert started["workOrder"] == {
        "status": "IN_PROGRESS",
        "productionOrder": {"status": "IN_PROGRESS"},
    }
    finished = _ok(
        await gql(FINISH, {"id": weld["id"], "minutes": "135"}, token=token), "finishWorkOrder"
    )
    assert finished["workOrder"] == {"status": "DONE", "cost": "90.0000"}  # 135 min @ 40/h

    done = _ok(
        await gql(
            COMPLETE,
            {
                "input": {
                    "id": order["id"],
                    "consumed": [
                        {"productId": str(plant["STEEL"]), "quantity": "11"},  # one kg wasted
                        {"productId": str(plant["PAINT"]), "quantity": "0.5"},  # not in the BOM
                    ],
                }
            },
            token=token,
        ),
        "completeProductionOrder",
    )["productionOrder"]
    # 11 x 2 + 20 x 0.10 + 0.5 x 8 = 28; + 90 = 118 for 5 frames.
    assert (done["status"], done["materialCost"], done["operationCost"], done["unitCost"]) == (
        "DONE",
        "28.0000",
        "90.0000",
        "23.6000",
    )
    assert [
        (c["quantity"], c["reserved"], c["consumed"], c["unitCost"]) for c in done["components"]
    ] == [
        ("10.0000", "0.0000", "11.0000", "2.0000"),
        ("20.0000", "0.0000", "20.0000", "0.1000"),
        ("0.0000", "0.0000", "0.5000", "8.0000"),
    ]
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(89), D(0))
    assert await levels(runtime, plant.id, plant["FRAME"]) == (D(6), D(0))
    again = await gql(COMPLETE, {"input": {"id": order["id"]}}, token=token)
    assert again["data"]["completeProductionOrder"]["errors"] == [
        {
            "field": "input.id",
            "code": "INVALID_STATE",
            "message": "A done order cannot be completed",
        }
    ]


async def test_insufficient_stock_names_each_shortfall_and_writes_nothing(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    order = await _create(gql, plant, "FRAME", "60")  # needs 120 steel (100) and 240 bolts (150)
    r = await gql(CONFIRM, {"input": {"id": order["id"]}}, token=plant.tenant.token)
    payload = r["data"]["confirmProductionOrder"]
    assert payload["productionOrder"] is None
    assert sorted((e["field"], e["code"], e["message"]) for e in payload["errors"]) == sorted(
        [
            (
                "input.id",
                "INSUFFICIENT_STOCK",
                f"{plant.skus['STEEL']} (Steel): 120 needed, 100 available (short by 20)",
            ),
            (
                "input.id",
                "INSUFFICIENT_STOCK",
                f"{plant.skus['BOLT']} (Bolt): 240 needed, 150 available (short by 90)",
            ),
        ]
    )
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(100), D(0))
    status = await gql(
        "query($id: ID!) { productionOrder(id: $id) { status components { quantity } workOrders { id } } }",
        {"id": order["id"]},
        token=plant.tenant.token,
    )
    assert status["data"]["productionOrder"] == {
        "status": "DRAFT",
        "components": [],
        "workOrders": [],
    }

    partial = _ok(
        await gql(
            CONFIRM, {"input": {"id": order["id"], "allowShortage": True}}, token=plant.tenant.token
        ),
        "confirmProductionOrder",
    )["productionOrder"]
    assert [(c["quantity"], c["reserved"]) for c in partial["components"]] == [
        ("120.0000", "100.0000"),
        ("240.0000", "150.0000"),
    ]
    cancelled = _ok(
        await gql(CANCEL, {"id": order["id"]}, token=plant.tenant.token), "cancelProductionOrder"
    )
    assert cancelled["productionOrder"]["status"] == "CANCELLED"
    assert [c["reserved"] for c in cancelled["productionOrder"]["components"]] == [
        "0.0000",
        "0.0000",
    ]
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(100), D(0))
    assert await levels(runtime, plant.id, plant["BOLT"]) == (D(150), D(0))


async def test_idempotency_key_replays_a_confirmation(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    order = await _create(gql, plant, "FRAME", "2")
    headers = {"idempotency-key": "confirm-frame-1"}
    first = await gql(
        CONFIRM, {"input": {"id": order["id"]}}, token=plant.tenant.token, headers=headers
    )
    again = await gql(
        CONFIRM, {"input": {"id": order["id"]}}, token=plant.tenant.token, headers=headers
    )
    assert first == again
    assert _ok(first, "confirmProductionOrder")["productionOrder"]["status"] == "CONFIRMED"
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(100), D(4))
    assert len(await events(runtime, plant.id, "production.confirmed")) == 1
    other = await gql(
        CONFIRM,
        {"input": {"id": order["id"], "allowShortage": True}},
        token=plant.tenant.token,
        headers=headers,
    )
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_quality_failure_blocks_until_a_passing_recheck(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    token = plant.tenant.token
    order = await _create(gql, plant, "FRAME", "1")
    _ok(await gql(CONFIRM, {"input": {"id": order["id"]}}, token=token), "confirmProductionOrder")
    template = _ok(
        await gql(
            TEMPLATE,
            {"input": {"name": "Seam", "kind": "PASS_FAIL", "productId": str(plant["FRAME"])}},
            token=token,
        ),
        "createQualityCheckTemplate",
    )["qualityCheckTemplate"]
    check = {"productionOrderId": order["id"], "templateId": template["id"]}
    failed = _ok(
        await gql(CHECK, {"input": {**check, "passed": False, "note": "porous"}}, token=token),
        "recordQualityCheck",
    )
    assert failed["qualityCheck"] == {"passed": False}
    assert failed["productionOrder"] == {"status": "BLOCKED"}
    [weld] = (
        await gql(
            "query($id: ID!) { productionOrder(id: $id) { workOrders { id } } }",
            {"id": order["id"]},
            token=token,
        )
    )["data"]["productionOrder"]["workOrders"]
    blocked = await gql(START, {"id": weld["id"]}, token=token)
    assert blocked["data"]["startWorkOrder"]["errors"] == [
        {"field": "input.id", "code": "QUALITY_BLOCKED"}
    ]
    wrong = await gql(CHECK, {"input": {**check, "measuredValue": "1"}}, token=token)
    assert wrong["data"]["recordQualityCheck"]["errors"][0]["field"] == "input.passed"
    passed = _ok(
        await gql(CHECK, {"input": {**check, "passed": True}}, token=token), "recordQualityCheck"
    )
    assert passed["productionOrder"] == {"status": "CONFIRMED"}
    history = await gql(
        "query($id: ID!) { productionOrder(id: $id) { qualityChecks { passed note checkedBy { id } template { name } } } }",
        {"id": order["id"]},
        token=token,
    )
    assert history["data"]["productionOrder"]["qualityChecks"] == [
        {
            "passed": False,
            "note": "porous",
            "checkedBy": {"id": str(plant.tenant.admin_id)},
            "template": {"name": "Seam"},
        },
        {
            "passed": True,
            "note": "",
            "checkedBy": {"id": str(plant.tenant.admin_id)},
            "template": {"name": "Seam"},
        },
    ]
    assert await row_count(runtime, plant.id, QualityCheck) == 2
    [failure] = await events(runtime, plant.id, "quality.failed")
    assert (failure["orderId"], failure["required"], failure["note"]) == (
        order["id"],
        True,
        "porous",
    )


async def test_permissions_follow_the_roles(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    query = "{ productionOrders(first: 5) { totalCount } workCenters { totalCount } }"
    mutation = """mutation($input: CreateWorkCenterInput!) { createWorkCenter(input: $input) {
        workCenter { code } errors { code } } }"""
    variables = {"input": {"code": "X1", "name": "Extra"}}
    for role, reads, writes in (
        ("production", True, True),
        ("manager", True, True),
        ("viewer", True, False),
        ("warehouse", True, False),
        ("sales", False, False),
    ):
        token = await token_for(runtime, plant.tenant, role)
        r = await gql(query, token=token)
        assert ("errors" not in r) is reads, (role, r)
        if not reads:
            assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        w = await gql(mutation, {"input": {"code": f"X-{role[:6]}", "name": "Extra"}}, token=token)
        if writes:
            assert w["data"]["createWorkCenter"]["errors"] == [], (role, w)
        else:
            assert w["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, w)
    anonymous = await gql(mutation, variables)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_tenants_ids_find_nothing_and_change_nothing(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    order = await _create(gql, plant, "FRAME", "1")
    stranger = await make_tenant(runtime, "Stranger")
    other = await make_plant(runtime, stranger)
    token = stranger.token
    r = await gql(
        """query($id: ID!, $p: ID!) { productionOrder(id: $id) { id } billOfMaterials(id: $id) { id }
           workOrder(id: $id) { id } bomExplosion(productId: $p, quantity: "1") { quantity }
           productionOrders(filter: {productId: $p}) { totalCount } }""",
        {"id": order["id"], "p": str(plant["CART"])},
        token=token,
    )
    assert r["data"] == {
        "productionOrder": None,
        "billOfMaterials": None,
        "workOrder": None,
        "bomExplosion": None,
        "productionOrders": {"totalCount": 0},
    }
    before = await row_count(runtime, plant.id, ProductionOrder)
    for query, variables, name, field in (
        (CONFIRM, {"input": {"id": order["id"]}}, "confirmProductionOrder", "input.id"),
        (CANCEL, {"id": order["id"]}, "cancelProductionOrder", "input.id"),
        (
            CREATE,
            {
                "input": {
                    "productId": str(plant["CART"]),
                    "quantity": "1",
                    "warehouseId": str(other.warehouse_id),
                }
            },
            "createProductionOrder",
            "input.productId",
        ),
        (
            CREATE,
            {
                "input": {
                    "productId": str(other["CART"]),
                    "quantity": "1",
                    "warehouseId": str(plant.warehouse_id),
                }
            },
            "createProductionOrder",
            "input.warehouseId",
        ),
        (
            CHECK,
            {
                "input": {
                    "productionOrderId": order["id"],
                    "templateId": order["id"],
                    "passed": True,
                }
            },
            "recordQualityCheck",
            "input.productionOrderId",
        ),
    ):
        result = await gql(query, variables, token=token)
        errors = result["data"][name]["errors"]
        assert {"field": field, "code": "NOT_FOUND"} in [
            {"field": e["field"], "code": e["code"]} for e in errors
        ], (name, result)
    assert await row_count(runtime, plant.id, ProductionOrder) == before
    assert await row_count(runtime, stranger.id, ProductionOrder) == 0
    status = await gql(
        "query($id: ID!) { productionOrder(id: $id) { status } }",
        {"id": order["id"]},
        token=plant.tenant.token,
    )
    assert status["data"]["productionOrder"] == {"status": "DRAFT"}


async def test_bad_input_is_a_payload_error_or_bad_user_input_never_internal(
    runtime: Runtime, gql: GraphQLClient, plant: Plant, tenant: TenantHandle
) -> None:
    token = plant.tenant.token
    bom = """mutation($input: CreateBillOfMaterialsInput!) { createBillOfMaterials(input: $input) {
        billOfMaterials { id } errors { field code } } }"""

    def bom_input(**overrides: Any) -> dict[str, Any]:
        return {
            "input": {
                "productId": str(plant["SCRAP"]),
                "quantity": "1",
                "components": [{"productId": str(plant["STEEL"]), "quantity": "1"}],
                **overrides,
            }
        }

    before = await row_count(runtime, plant.id, BillOfMaterials)
    for overrides, expected in (
        ({"quantity": "1e30"}, ("input.quantity", "OUT_OF_RANGE")),
        ({"quantity": "-1"}, ("input.quantity", "MUST_BE_POSITIVE")),
        ({"quantity": "0.00001"}, ("input.quantity", "TOO_PRECISE")),
        ({"quantity": "NaN"}, ("input.quantity", "MUST_BE_POSITIVE")),
        ({"components": []}, ("input.components", "REQUIRED")),
        ({"note": "bad\x00note"}, ("input.note", "INVALID")),
        (
            {
                "components": [
                    {"productId": str(plant["STEEL"]), "quantity": "1", "scrapPercent": "100"}
                ]
            },
            ("input.components.0.scrapPercent", "OUT_OF_RANGE"),
        ),
        (
            {"components": [{"productId": str(plant["STEEL"]), "quantity": "1"}] * 2},
            ("input.components.1.productId", "DUPLICATE"),
        ),
        (
            {"components": [{"productId": "not-a-uuid", "quantity": "1"}]},
            ("input.components.0.productId", "NOT_FOUND"),
        ),
        (
            {
                "kind": "PHANTOM",
                "operations": [
                    {
                        "sequence": 1,
                        "name": "Op",
                        "workCenterId": str(plant.centers["ASSY"]),
                        "minutes": "5",
                    }
                ],
            },
            ("input.kind", "INVALID"),
        ),
        (
            {
                "operations": [
                    {
                        "sequence": 1,
                        "name": "Op\x00",
                        "workCenterId": str(plant.centers["ASSY"]),
                        "minutes": "5",
                    }
                ]
            },
            ("input.operations.0.name", "INVALID"),
        ),
        (
            {
                "byProducts": [
                    {"productId": str(plant["BOLT"]), "quantity": "1", "costShare": "60"}
                ]
                * 2
            },
            ("input.byProducts", "OUT_OF_RANGE"),
        ),
    ):
        r = await gql(bom, bom_input(**overrides), token=token)
        refused(r, "createBillOfMaterials", *expected)
    assert await row_count(runtime, plant.id, BillOfMaterials) == before

    for query in (
        "{ productionOrders(first: 1000) { totalCount } }",
        '{ productionOrders(after: "garbage") { totalCount } }',
        '{ productionOrders(filter: {search: "a\\u0000b"}) { totalCount } }',
        f'{{ bomExplosion(productId: "{plant["CART"]}", quantity: "1e40") {{ quantity }} }}',
        f'{{ bomExplosion(productId: "{plant["CART"]}", quantity: "0") {{ quantity }} }}',
        '{ workCenterLoad(from: "2030-01-10", to: "2029-01-01") { date } }',
        '{ workCenterLoad(from: "2030-01-01", to: "2035-01-01") { date } }',
    ):
        r = await gql(query, token=token)
        assert r["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (query, r)

    order = await _create(gql, plant, "FRAME", "1")
    for variables, expected in (
        (
            {"id": order["id"], "producedQuantity": "0"},
            ("input.producedQuantity", "MUST_BE_POSITIVE"),
        ),
        ({"id": order["id"], "scrapQuantity": "-1"}, ("input.scrapQuantity", "NEGATIVE")),
        (
            {
                "id": order["id"],
                "consumed": [{"productId": str(plant["BOLT"]), "quantity": "1e20"}],
            },
            ("input.consumed.0.quantity", "OUT_OF_RANGE"),
        ),
    ):
        r = await gql(COMPLETE, {"input": variables}, token=token)
        refused(r, "completeProductionOrder", *expected)
    for fields, expected in (
        ({"quantity": "1e30"}, ("input.quantity", "OUT_OF_RANGE")),
        ({"quantity": "0"}, ("input.quantity", "MUST_BE_POSITIVE")),
    ):
        r = await gql(
            CREATE,
            {
                "input": {
                    "productId": str(plant["FRAME"]),
                    "warehouseId": str(plant.warehouse_id),
                    **fields,
                }
            },
            token=token,
        )
        refused(r, "createProductionOrder", *expected)
    no_bom = await gql(
        CREATE,
        {
            "input": {
                "productId": str(plant["STEEL"]),
                "quantity": "1",
                "warehouseId": str(plant.warehouse_id),
            }
        },
        token=token,
    )
    assert no_bom["data"]["createProductionOrder"]["errors"][0]["code"] == "NO_ACTIVE_BOM"


async def test_idempotency_key_creates_one_order(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    variables = {
        "input": {
            "productId": str(plant["FRAME"]),
            "quantity": "3",
            "warehouseId": str(plant.warehouse_id),
        }
    }
    headers = {"idempotency-key": "mo-frame-3"}
    first = await gql(CREATE, variables, token=plant.tenant.token, headers=headers)
    again = await gql(CREATE, variables, token=plant.tenant.token, headers=headers)
    assert first == again
    assert _ok(first, "createProductionOrder")["productionOrder"]["number"].endswith("-00001")
    assert await row_count(runtime, plant.id, ProductionOrder) == 1


async def test_work_center_load_over_graphql(gql: GraphQLClient, plant: Plant) -> None:
    order = await _create(gql, plant, "FRAME", "2")  # due 2030-01-15, a Tuesday
    _ok(
        await gql(CONFIRM, {"input": {"id": order["id"]}}, token=plant.tenant.token),
        "confirmProductionOrder",
    )
    r = await gql(
        """query($wc: ID!) { workCenterLoad(from: "2030-01-15", to: "2030-01-16", workCenterId: $wc) {
             date plannedMinutes capacityMinutes loadPercent workCenter { code capacity } } }""",
        {"wc": str(plant.centers["WELD"])},
        token=plant.tenant.token,
    )
    assert r["data"]["workCenterLoad"] == [
        {
            "date": "2030-01-15",
            "plannedMinutes": "60.0000",
            "capacityMinutes": "960.0000",
            "loadPercent": "6.25",
            "workCenter": {"code": "WELD", "capacity": 2},
        },
        {
            "date": "2030-01-16",
            "plannedMinutes": "0.0000",
            "capacityMinutes": "960.0000",
            "loadPercent": "0.00",
            "workCenter": {"code": "WELD", "capacity": 2},
        },
    ]
