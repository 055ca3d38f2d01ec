"""Stock demo data for `nexo seed --demo`: 120 products (raw materials, components,
finished goods, services), three warehouses, opening balances and reorder rules that
leave a handful of products below their minimum. Deterministic and idempotent.

Opening balances are posted as receipts of an `OPENING_BALANCE` document at a unit cost,
not as inventory adjustments: an adjustment carries the product's current average cost,
which is zero for a new product, and a demo whose valuation is zero shows nothing."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.stock import operations, products
from subgraphs.stock.ledger import (
    DemandLine,
    DocumentRef,
    Move,
    Paths,
    Plan,
    SupplyLine,
    atomically,
    execute,
)
from subgraphs.stock.models import LocationKind, Product, ProductType, q4
from subgraphs.stock.products import ProductFields
from subgraphs.stock.replenishment import set_reorder_rule
from subgraphs.stock.warehouses import create_warehouse, stock_location, virtual_location

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

    # Checked as `create_product` checks them, then written in one INSERT (the demo's SKUs
    # are distinct by construction, so its look-up for a taken SKU is left out).
    created = [
        Product(
            tenant_id=tenant,
            id=uuid.uuid4(),
            **products._check(
                ProductFields(
                    sku=sku,
                    name=name,
                    type=kind,
                    uom=uom,
                    category=category,
                    barcode=f"400{rng.randrange(10**9, 10**10)}",
                    sales_price=price,
                ),
                creating=True,
            ),
        )
        for sku, name, kind, uom, category, price in catalogue
    ]
    session.add_all(created)
    await session.flush()
    stockable = [p.id for p in created if p.type == ProductType.STOCKABLE]

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
    # By SKU, not by id: ids are random, and the demo is the same in every tenant.
    sku = {p.id: p.sku for p in created}
    ruled = rng.sample(sorted(on_hand_main, key=sku.__getitem__), 20)
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


async def post_history(
    session: AsyncSession,
    tenant: TenantId,
    *,
    receipts: Sequence[tuple[DocumentRef, Sequence[SupplyLine]]],
    deliveries: Sequence[tuple[DocumentRef, Sequence[DemandLine]]] = (),
) -> None:
    """Another demo seeder's past in one ledger plan: `receipts` from the SUPPLIER location
    at their unit costs and `deliveries` to the CUSTOMER location, each move carrying its
    document (and a delivery its demand line) as `receive` and `deliver` record them. The ledger
    validates, locks, checks stock, writes the moves and levels, moves average costs and
    judges low stock once for the lot, so its invariants hold as for the operations; what
    it saves is one operation, and its round trips, per document. Reservations are not
    consumed: deliver only what is free (reserve open demand through `reserve`)."""

    async def run() -> None:
        supplier = await virtual_location(session, tenant, LocationKind.SUPPLIER)
        customer = await virtual_location(session, tenant, LocationKind.CUSTOMER)
        plan = Plan(revalue=True)
        for r, (source, supplied) in enumerate(receipts):
            for i, ln in enumerate(supplied):
                at = f"receipts.{r}.{i}"
                plan.moves.append(
                    Move(
                        ln.product_id,
                        supplier,
                        ln.location_id,
                        ln.quantity,
                        Paths(f"{at}.quantity", f"{at}.productId", to_location=f"{at}.locationId"),
                        unit_cost=q4(ln.unit_cost),
                        source=source,
                        internal_to=True,
                    )
                )
        for d, (demand, lines) in enumerate(deliveries):
            for i, dl in enumerate(lines):
                at = f"deliveries.{d}.{i}"
                plan.moves.append(
                    Move(
                        dl.product_id,
                        dl.location_id,
                        customer,
                        dl.quantity,
                        Paths(
                            f"{at}.quantity", f"{at}.productId", from_location=f"{at}.locationId"
                        ),
                        source=demand,
                        line=dl.line,
                        internal_from=True,
                    )
                )
        if plan.moves:
            await execute(session, tenant, plan, actor=None)

    await atomically(session, run)
