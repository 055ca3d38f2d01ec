"""Bills of materials: versions with one active per product, cycles refused at any depth
with nothing written, kits exploded into their components."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.production import api as production
from subgraphs.production.models import BillOfMaterials, BomComponent
from tests.conftest import GraphQLClient

from .conftest import Plant, add_products, row_count

D = Decimal

CREATE = """
mutation($input: CreateBillOfMaterialsInput!) { createBillOfMaterials(input: $input) {
  billOfMaterials { id version active kind quantity product { id }
    components { quantity scrapPercent product { id } }
    byProducts { quantity costShare product { id } }
    operations { sequence name minutes workCenter { code } } }
  errors { field code message } } }
"""


def _bom(product: uuid.UUID, *components: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "productId": str(product),
            "quantity": "1",
            "components": [{"productId": str(c), "quantity": "1"} for c in components],
            **extra,
        }
    }


async def test_a_new_version_replaces_the_active_one(
    runtime: Runtime, gql: GraphQLClient, plant: Plant
) -> None:
    r = await gql(
        CREATE,
        _bom(
            plant["FRAME"],
            plant["STEEL"],
            quantity="2",
            byProducts=[{"productId": str(plant["SCRAP"]), "quantity": "0.25", "costShare": "5"}],
            operations=[
                {
                    "sequence": 5,
                    "name": "Cut",
                    "workCenterId": str(plant.centers["WELD"]),
                    "minutes": "7.5",
                }
            ],
        ),
        token=plant.tenant.token,
    )
    bom = r["data"]["createBillOfMaterials"]["billOfMaterials"]
    assert r["data"]["createBillOfMaterials"]["errors"] == []
    assert (bom["version"], bom["active"], bom["kind"], bom["quantity"]) == (
        2,
        True,
        "NORMAL",
        "2.0000",
    )
    assert bom["byProducts"] == [
        {"quantity": "0.2500", "costShare": "5.0000", "product": {"id": str(plant["SCRAP"])}}
    ]
    assert bom["operations"] == [
        {"sequence": 5, "name": "Cut", "minutes": "7.5000", "workCenter": {"code": "WELD"}}
    ]
    listed = await gql(
        """query($p: ID!) { billsOfMaterials(filter: {productId: $p}, orderBy: {field: VERSION, direction: ASC}) {
             edges { node { version active } } } }""",
        {"p": str(plant["FRAME"])},
        token=plant.tenant.token,
    )
    assert [e["node"] for e in listed["data"]["billsOfMaterials"]["edges"]] == [
        {"version": 1, "active": False},
        {"version": 2, "active": True},
    ]
    back = await gql(
        "mutation($id: ID!) { activateBillOfMaterials(input: {id: $id}) { billOfMaterials { version active } errors { code } } }",
        {"id": str(plant.boms["FRAME"])},
        token=plant.tenant.token,
    )
    assert back["data"]["activateBillOfMaterials"]["billOfMaterials"] == {
        "version": 1,
        "active": True,
    }
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        active = (
            await session.scalars(
                select(BillOfMaterials.version).where(
                    BillOfMaterials.product_id == plant["FRAME"], BillOfMaterials.active
                )
            )
        ).all()
    assert active == [1]


@pytest.mark.parametrize(
    ("made", "uses", "chain"),
    [
        ("STEEL", "STEEL", None),  # directly
        ("STEEL", "FRAME", ["STEEL", "FRAME", "STEEL"]),  # FRAME is made of STEEL
        ("STEEL", "CHASSIS", ["STEEL", "CHASSIS", "FRAME", "STEEL"]),
        ("BOLT", "CART", ["BOLT", "CART", "BOLT"]),  # CART uses BOLT on its first level
        ("STEEL", "CART", ["STEEL", "CART", "CHASSIS", "FRAME", "STEEL"]),  # three deep
    ],
)
async def test_a_cycle_at_any_depth_is_refused_and_nothing_is_written(
    runtime: Runtime,
    gql: GraphQLClient,
    plant: Plant,
    made: str,
    uses: str,
    chain: list[str] | None,
) -> None:
    boms = await row_count(runtime, plant.id, BillOfMaterials)
    parts = await row_count(runtime, plant.id, BomComponent)
    r = await gql(CREATE, _bom(plant[made], plant["PAINT"], plant[uses]), token=plant.tenant.token)
    payload = r["data"]["createBillOfMaterials"]
    assert payload["billOfMaterials"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("input.components.1.productId", "BOM_CYCLE")
    if chain is not None:
        expected = " → ".join(plant.skus[name] for name in chain)
        assert error["message"] == f"This component is made from the product: {expected}"
    assert await row_count(runtime, plant.id, BillOfMaterials) == boms
    assert await row_count(runtime, plant.id, BomComponent) == parts


async def test_activating_an_old_version_is_checked_for_cycles_again(
    runtime: Runtime, plant: Plant
) -> None:
    tenant = plant.id
    async with runtime.db.transaction(tenant) as session:
        # An inactive STEEL BOM using CART is no cycle while it is not used ...
        dormant = await production.create_bom(
            session,
            tenant,
            production.BomInput(
                product_id=plant["STEEL"],
                quantity=D(1),
                components=[production.ComponentInput(plant["CART"], D(1))],
                active=False,
            ),
        )
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(tenant) as session:
            await production.activate_bom(session, tenant, dormant.id)
    assert [(p.field, p.code) for p in refused.value.problems] == [("id", "BOM_CYCLE")]
    assert await row_count(runtime, plant.id, BillOfMaterials) == 4


async def test_two_writers_cannot_each_add_half_a_cycle(runtime: Runtime, plant: Plant) -> None:
    """PAINT made of BOLT and BOLT made of PAINT, concurrently: one of them is refused."""
    tenant = plant.id

    async def make(product: str, component: str) -> str:
        try:
            async with runtime.db.transaction(tenant) as session:
                await production.create_bom(
                    session,
                    tenant,
                    production.BomInput(
                        product_id=plant[product],
                        quantity=D(1),
                        components=[production.ComponentInput(plant[component], D(1))],
                    ),
                )
                await asyncio.sleep(0.05)  # hold the transaction open while the other runs
        except InvalidInput as exc:
            return exc.problems[0].code
        return "OK"

    results = await asyncio.gather(make("PAINT", "BOLT"), make("BOLT", "PAINT"))
    assert sorted(results) == ["BOM_CYCLE", "OK"]


async def test_a_kit_is_exploded_into_its_components(runtime: Runtime, plant: Plant) -> None:
    """A PHANTOM BOM is never made: an order using the kit reserves the kit's parts, and the
    explosion lists them instead of the kit."""
    tenant = plant.id
    async with runtime.db.transaction(tenant) as session:
        made = await add_products(session, tenant, ["KIT", "CRATE"])
        kit, crate = made["KIT"][0], made["CRATE"][0]
        await production.create_bom(
            session,
            tenant,
            production.BomInput(
                product_id=kit,
                quantity=D(2),
                kind=production.BomKind.PHANTOM,
                components=[
                    production.ComponentInput(plant["BOLT"], D(6)),
                    production.ComponentInput(plant["PAINT"], D(1)),
                ],
            ),
        )
        await production.create_bom(
            session,
            tenant,
            production.BomInput(
                product_id=crate,
                quantity=D(1),
                components=[
                    production.ComponentInput(kit, D(1)),
                    production.ComponentInput(plant["BOLT"], D(2)),
                ],
            ),
        )
        order = await production.create_order(
            session, tenant, product_id=crate, quantity=D(4), warehouse_id=plant.warehouse_id
        )
        await production.confirm_order(session, tenant, order.id)
        lines = (
            await session.execute(
                select(production_component().product_id, production_component().quantity)
                .where(production_component().order_id == order.id)
                .order_by(production_component().position)
            )
        ).all()
        explosion = await production.bom_explosion(session, tenant, product_id=crate, quantity=D(4))
    # 4 crates: 2 kits (= 12 bolts + 2 paint) and 8 bolts; the kit's bolts merge in.
    assert [(p, q) for p, q in lines] == [(plant["BOLT"], D(20)), (plant["PAINT"], D(2))]
    assert explosion is not None
    assert [(r.product_id, r.quantity) for r in explosion.lines] == [
        (plant["BOLT"], D(20)),
        (plant["PAINT"], D(2)),
    ]
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(tenant) as session:
            await production.create_order(
                session, tenant, product_id=kit, quantity=D(1), warehouse_id=plant.warehouse_id
            )
    assert [p.code for p in refused.value.problems] == ["NO_ACTIVE_BOM"]


def production_component() -> Any:
    from subgraphs.production.models import ComponentLine

    return ComponentLine
