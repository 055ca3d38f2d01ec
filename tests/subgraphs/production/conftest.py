"""Production fixtures: a plant with a three-level structure on stock, work centers, and
helpers to read stock back exactly.

The plant makes CART from 1 CHASSIS and 4 BOLT (+25% scrap), with 0.5 kg of SCRAP metal
as a by-product carrying 10% of the cost; CHASSIS from 1 FRAME and 0.5 PAINT; FRAME from
2 STEEL and 4 BOLT. On hand at the start: STEEL 100 @ 2, BOLT 150 @ 0.10, PAINT 10 @ 8,
FRAME 1 @ 20, no CHASSIS, no CART.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.context import Runtime
from shared.db import TenantId
from shared.outbox import OutboxEvent
from subgraphs.production import api as production
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle

D = Decimal


@pytest.fixture(scope="session")
def production_schema() -> Any:
    from subgraphs.production.app import build

    return build()


@pytest.fixture
def gql(runtime: Runtime, production_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, production_schema)


@dataclass
class Plant:
    tenant: TenantHandle
    warehouse_id: uuid.UUID
    location_id: uuid.UUID
    products: dict[str, uuid.UUID] = field(default_factory=dict)
    centers: dict[str, uuid.UUID] = field(default_factory=dict)
    boms: dict[str, uuid.UUID] = field(default_factory=dict)
    skus: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> TenantId:
        return self.tenant.id

    def __getitem__(self, sku: str) -> uuid.UUID:
        return self.products[sku]


async def add_products(
    session: Any, tenant: TenantId, names: list[str], *, type: str = "STOCKABLE"
) -> dict[str, tuple[uuid.UUID, str]]:
    """name -> (product id, SKU): the SKU is the name with a random suffix."""
    found = {}
    for name in names:
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(
                sku=f"{name}-{uuid.uuid4().hex[:4]}", name=name.title(), type=type, uom="unit"
            ),
        )
        found[name] = (product.id, product.sku)
    return found


async def receive(runtime: Runtime, plant: Plant, lines: list[tuple[str, str, str]]) -> None:
    """(sku, quantity, unit cost) into the plant's STOCK location."""
    async with runtime.db.transaction(plant.id) as session:
        await stock.receive(
            session,
            plant.id,
            source=None,
            lines=[
                stock.SupplyLine(plant[sku], plant.location_id, D(q), D(c)) for sku, q, c in lines
            ],
        )


async def make_plant(runtime: Runtime, tenant: TenantHandle) -> Plant:
    async with runtime.db.transaction(tenant.id) as session:
        warehouse = await stock.create_warehouse(session, tenant.id, code="PLT", name="Plant")
        location = await stock.stock_location(session, tenant.id, warehouse.id)
        plant = Plant(tenant, warehouse.id, location)
        made = await add_products(
            session, tenant.id, ["CART", "CHASSIS", "FRAME", "STEEL", "BOLT", "PAINT", "SCRAP"]
        )
        plant.products = {name: pid for name, (pid, _) in made.items()}
        plant.skus = {name: sku for name, (_, sku) in made.items()}
        for code, rate in (("WELD", "40"), ("PAINT", "30"), ("ASSY", "50"), ("QC", "20")):
            center = await production.create_work_center(
                session, tenant.id, code=code, name=code.title(), capacity=2, cost_per_hour=D(rate)
            )
            plant.centers[code] = center.id

        async def bom(
            sku: str,
            parts: list[tuple[str, str, str]],
            operations: list[tuple[int, str, str, str]],
            by_products: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
        ) -> None:
            row = await production.create_bom(
                session,
                tenant.id,
                production.BomInput(
                    product_id=plant[sku],
                    quantity=D(1),
                    components=[
                        production.ComponentInput(plant[p], D(q), D(s)) for p, q, s in parts
                    ],
                    by_products=[
                        production.ByProductInput(plant[p], D(q), D(s)) for p, q, s in by_products
                    ],
                    operations=[
                        production.OperationInput(seq, name, plant.centers[wc], D(m))
                        for seq, name, wc, m in operations
                    ],
                ),
            )
            plant.boms[sku] = row.id

        await bom("FRAME", [("STEEL", "2", "0"), ("BOLT", "4", "0")], [(10, "Weld", "WELD", "30")])
        await bom(
            "CHASSIS", [("FRAME", "1", "0"), ("PAINT", "0.5", "0")], [(10, "Paint", "PAINT", "20")]
        )
        await bom(
            "CART",
            [("CHASSIS", "1", "0"), ("BOLT", "4", "25")],
            [(10, "Assemble", "ASSY", "60"), (20, "Inspect", "QC", "15")],
            [("SCRAP", "0.5", "10")],
        )
    await receive(
        runtime,
        plant,
        [
            ("STEEL", "100", "2"),
            ("BOLT", "150", "0.10"),
            ("PAINT", "10", "8"),
            ("FRAME", "1", "20"),
        ],
    )
    return plant


@pytest.fixture
async def plant(runtime: Runtime, tenant: TenantHandle) -> Plant:
    return await make_plant(runtime, tenant)


async def levels(runtime: Runtime, tenant: TenantId, product: uuid.UUID) -> tuple[D, D]:
    """(on hand, reserved) over all internal locations."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = (await stock.levels_by_product(session, tenant, [product])).get(product, [])
    return (sum((r.on_hand for r in rows), D(0)), sum((r.reserved for r in rows), D(0)))


async def cost(runtime: Runtime, tenant: TenantId, product: uuid.UUID) -> D:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        found = await stock.product(session, tenant, product)
        assert found is not None
        return found.cost


async def events(runtime: Runtime, tenant: TenantId, type: str) -> list[dict[str, Any]]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.tenant_id == tenant, OutboxEvent.type == type)
            .order_by(OutboxEvent.occurred_at)
        )
        return list(rows.all())


async def row_count(runtime: Runtime, tenant: TenantId, model: Any) -> int:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
