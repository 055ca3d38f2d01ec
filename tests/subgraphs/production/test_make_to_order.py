"""A make-to-order production order names a real line of an open sales order for the same
product; anything else is a payload error that writes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

from shared.context import Runtime
from subgraphs.crm import api as crm
from subgraphs.production.models import ProductionOrder
from subgraphs.sales import orders as sales_orders
from tests.conftest import GraphQLClient, make_tenant

from .conftest import Plant, make_plant, row_count

CREATE = """
mutation($input: CreateProductionOrderInput!) {
  createProductionOrder(input: $input) {
    productionOrder { id salesOrderLineId } errors { field code }
  }
}"""


async def _sales_line(runtime: Runtime, plant: Plant, sku: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(order id, line id) of a quotation for 2 of `sku`."""
    async with runtime.db.transaction(plant.id) as session:
        customer = await crm.create_customer(
            session,
            plant.id,
            fields=crm.CustomerFields(name=f"Buyer {uuid.uuid4().hex[:6]}"),
            actor=plant.tenant.admin_id,
        )
        order = await sales_orders.create_sales_order(
            session,
            plant.id,
            customer_id=customer.id,
            lines=[sales_orders.LineInput(product_id=plant[sku], quantity=Decimal(2))],
            warehouse_id=plant.warehouse_id,
        )
        lines = await sales_orders.order_lines(session, plant.id, order.id)
    return order.id, lines[0].id


def _input(plant: Plant, sku: str, line: uuid.UUID) -> dict[str, object]:
    return {
        "input": {
            "productId": str(plant[sku]),
            "quantity": "2",
            "warehouseId": str(plant.warehouse_id),
            "salesOrderLineId": str(line),
        }
    }


async def test_a_make_to_order_line_must_exist_match_and_be_open(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    order_id, line = await _sales_line(runtime, plant, "FRAME")
    token = plant.tenant.token

    unknown = await gql(CREATE, _input(plant, "FRAME", uuid.uuid4()), token=token)
    assert unknown["data"]["createProductionOrder"]["errors"] == [
        {"field": "input.salesOrderLineId", "code": "NOT_FOUND"}
    ]
    other_product = await gql(CREATE, _input(plant, "CHASSIS", line), token=token)
    assert other_product["data"]["createProductionOrder"]["errors"] == [
        {"field": "input.salesOrderLineId", "code": "INVALID"}
    ]
    assert await row_count(runtime, plant.id, ProductionOrder) == 0

    made = await gql(CREATE, _input(plant, "FRAME", line), token=token)
    payload = made["data"]["createProductionOrder"]
    assert payload["errors"] == []
    assert payload["productionOrder"]["salesOrderLineId"] == str(line)

    async with runtime.db.transaction(plant.id) as session:
        await sales_orders.cancel_sales_order(session, plant.id, order_id)
    cancelled = await gql(CREATE, _input(plant, "FRAME", line), token=token)
    assert cancelled["data"]["createProductionOrder"]["errors"] == [
        {"field": "input.salesOrderLineId", "code": "INVALID_STATE"}
    ]
    assert await row_count(runtime, plant.id, ProductionOrder) == 1


async def test_another_tenants_sales_line_is_not_found(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    _, line = await _sales_line(runtime, plant, "FRAME")
    other = await make_plant(runtime, await make_tenant(runtime))
    answer = await gql(CREATE, _input(other, "FRAME", line), token=other.tenant.token)
    assert answer["data"]["createProductionOrder"]["errors"] == [
        {"field": "input.salesOrderLineId", "code": "NOT_FOUND"}
    ]
    assert await row_count(runtime, other.id, ProductionOrder) == 0
