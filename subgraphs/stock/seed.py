"""Stock demo data for `nexo seed --demo`: 120 products (raw materials, components,
finished goods, services), three warehouses, opening balances and reorder rules that
leave a handful of products below their minimum. Deterministic and idempotent.

Opening balances are posted as receipts of an `OPENING_BALANCE` document at a unit cost,
not as inventory adjustments: an adjustment carries the product's current average cost,
which is zero for a new product, and a demo whose valuation is zero shows nothing."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.stock import operations
from subgraphs.stock.ledger import DocumentRef, SupplyLine
from subgraphs.stock.models import Product, ProductType
from subgraphs.stock.products import ProductFields, create_product
from subgraphs.stock.replenishment import set_reorder_rule
from subgraphs.stock.warehouses import create_warehouse, stock_location

WAREHOUSES = [("MAIN", "Main plant"), ("EAST", "East depot"), ("WEST", "West depot")]
_MATERIALS = ["Steel sheet", "Aluminium bar", "Copper wire", "PP granulate", "Oak board"]
_COMPONENTS = ["Bearing", "Bolt M8", "Hinge", "Gasket", "Motor 24V", "Sensor", "Bracket"]
_GOODS = ["Workbench", "Tool cabinet", "Conveyor module", "Shelf unit", "Pump housing"]
_SERVICES = ["Installation", "Maintenance visit", "Training day", "Express handling", "Repair"]
LOW_STOCK_PRODUCTS = 6


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
    if await session.scalar(select(func.count()).select_from(Product)):
        return
    rng = random.Random(7)
    warehouses = [
        await create_warehouse(session, tenant, code=code, name=name) for code, name in WAREHOUSES
    ]
    stock_locations = [await stock_location(session, tenant, w.id) for w in warehouses]
    catalogue: list[tuple[str, str, ProductType, str, str, Decimal]] = []
    for i in range(40):
        base = _MATERIALS[i % len(_MATERIALS)]
        catalogue.append(
            (
                f"RM-{i + 1:04d}",
                f"{base} {i + 1}",
                ProductType.STOCKABLE,
                "kg",
                "Raw materials",
                Decimal(0),
            )
        )
    for i in range(50):
        base = _COMPONENTS[i % len(_COMPONENTS)]
        price = Decimal(rng.randrange(150, 9_000)) / 100
        catalogue.append(
            (
                f"CP-{i + 1:04d}",
                f"{base} {i + 1}",
                ProductType.STOCKABLE,
                "pcs",
                "Components",
                price,
            )
        )
    for i in range(25):
        base = _GOODS[i % len(_GOODS)]
        price = Decimal(rng.randrange(20_000, 250_000)) / 100
        catalogue.append(
            (
                f"FG-{i + 1:04d}",
                f"{base} {i + 1}",
                ProductType.STOCKABLE,
                "pcs",
                "Finished goods",
                price,
            )
        )
    for i, name in enumerate(_SERVICES):
        price = Decimal(rng.randrange(5_000, 60_000)) / 100
        catalogue.append((f"SV-{i + 1:04d}", name, ProductType.SERVICE, "h", "Services", price))

    stockable: list[uuid.UUID] = []
    for sku, name, kind, uom, category, price in catalogue:
        product = await create_product(
            session,
            tenant,
            ProductFields(
                sku=sku,
                name=name,
                type=kind,
                uom=uom,
                category=category,
                barcode=f"400{rng.randrange(10**9, 10**10)}",
                sales_price=price,
            ),
        )
        if kind == ProductType.STOCKABLE:
            stockable.append(product.id)

    opening = DocumentRef(type="OPENING_BALANCE", id=uuid.uuid4())
    lines = []
    for product_id in stockable:
        for location in stock_locations[: rng.randint(1, 3)]:
            lines.append(
                SupplyLine(
                    product_id=product_id,
                    location_id=location,
                    quantity=Decimal(rng.randint(20, 400)),
                    unit_cost=Decimal(rng.randrange(100, 20_000)) / 100,
                )
            )
    await operations.receive(session, tenant, source=opening, lines=lines)

    main = warehouses[0].id
    on_hand_main = {
        line.product_id: line.quantity for line in lines if line.location_id == stock_locations[0]
    }
    ruled = rng.sample(sorted(on_hand_main), 20)
    for i, product_id in enumerate(ruled):
        have = on_hand_main[product_id]
        # The first few rules ask for more than the warehouse holds: open low-stock alerts.
        minimum = have + 10 if i < LOW_STOCK_PRODUCTS else max(Decimal(1), have // 4)
        await set_reorder_rule(
            session,
            tenant,
            product_id=product_id,
            warehouse_id=main,
            min_quantity=minimum,
            max_quantity=minimum * 3,
        )
