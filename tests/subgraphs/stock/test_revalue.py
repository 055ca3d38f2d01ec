"""`revalue`: a value change spread exactly over the units still on hand, recorded as a
cost adjustment, and confined to the tenant."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.context import Runtime
from shared.db import TenantId
from shared.errors import InvalidInput
from subgraphs.stock import api as stock
from subgraphs.stock.models import CostAdjustment, Product
from tests.conftest import TenantHandle
from tests.subgraphs.stock.conftest import Site, make_site, new_product, receive

D = Decimal


async def cost(runtime: Runtime, tenant: TenantId, product: uuid.UUID) -> Decimal:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        value = await session.scalar(select(Product.cost).where(Product.id == product))
    assert value is not None
    return value


async def revalue(
    runtime: Runtime,
    tenant: TenantId,
    product: uuid.UUID,
    value_change: str,
    quantity: str,
    source: stock.DocumentRef | None = None,
) -> Decimal:
    async with runtime.db.transaction(tenant) as session:
        return await stock.revalue(
            session,
            tenant,
            product_id=product,
            value_change=D(value_change),
            quantity=D(quantity),
            source=source or stock.DocumentRef("VendorBill", uuid.uuid4()),
        )


async def adjustments(
    runtime: Runtime, tenant: TenantId, product: uuid.UUID
) -> list[CostAdjustment]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.scalars(
            select(CostAdjustment)
            .where(CostAdjustment.product_id == product)
            .order_by(CostAdjustment.created_at)
        )
        found = list(rows.all())
        session.expunge_all()
        return found


async def test_a_value_change_on_all_units_on_hand_is_exact_and_recorded(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "5")
    source = stock.DocumentRef("VendorBill", uuid.uuid4())
    # (10 x 5 + 7) / 10
    assert await revalue(runtime, site.tenant, site.product_id, "7", "10", source) == D("5.7000")
    assert await cost(runtime, site.tenant, site.product_id) == D("5.7000")
    [row] = await adjustments(runtime, site.tenant, site.product_id)
    assert (row.source_type, row.source_id) == ("VendorBill", source.id)
    assert (row.value_change, row.quantity, row.on_hand) == (D("7"), D("10"), D("10"))
    assert (row.old_cost, row.new_cost) == (D("5.0000"), D("5.7000"))


async def test_a_negative_change_lowers_the_cost_rounded_once(runtime: Runtime, site: Site) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "3", "2")
    # (3 x 2 - 1) / 3 = 1.66666... -> 1.6667
    assert await revalue(runtime, site.tenant, site.product_id, "-1", "3") == D("1.6667")
    # a credit beyond the stock's value stops the average at zero
    assert await revalue(runtime, site.tenant, site.product_id, "-100", "3") == D("0.0000")
    assert await cost(runtime, site.tenant, site.product_id) == D("0.0000")


async def test_only_the_share_of_units_still_on_hand_stays_in_stock(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "9", "4")
    async with runtime.db.transaction(site.tenant) as session:
        await stock.deliver(
            session,
            site.tenant,
            demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(6))],
        )
    await receive(runtime, site.tenant, site.product_id, site.input_id, "1", "4")
    # Q = 3 + 1 over both internal locations; 10 on 10 units, 4 of them still here:
    # (4 x 4 + 10 x 4 / 10) / 4 = 5
    assert await revalue(runtime, site.tenant, site.product_id, "10", "10") == D("5.0000")
    # 1 on 3 units, all 4 on hand count (min(Q, quantity) = 3): (4 x 5 + 1) / 4 = 5.25
    assert await revalue(runtime, site.tenant, site.product_id, "1", "3") == D("5.2500")


async def test_nothing_on_hand_leaves_the_cost_and_records_nothing(
    runtime: Runtime, site: Site
) -> None:
    fresh = await new_product(runtime, site.tenant)
    assert await revalue(runtime, site.tenant, fresh, "12.5", "5") == D("0.0000")
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "2", "3")
    async with runtime.db.transaction(site.tenant) as session:
        await stock.deliver(
            session,
            site.tenant,
            demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(2))],
        )
    assert await revalue(runtime, site.tenant, site.product_id, "4", "2") == D("3.0000")
    assert await adjustments(runtime, site.tenant, fresh) == []
    assert await adjustments(runtime, site.tenant, site.product_id) == []


async def test_bad_input_is_refused_at_its_path(runtime: Runtime, site: Site) -> None:
    with pytest.raises(InvalidInput) as caught:
        await revalue(runtime, site.tenant, site.product_id, "1", "0")
    assert [(p.field, p.code) for p in caught.value.problems] == [("quantity", "MUST_BE_POSITIVE")]
    with pytest.raises(InvalidInput) as caught:
        await revalue(runtime, site.tenant, uuid.uuid4(), "1", "1")
    assert [(p.field, p.code) for p in caught.value.problems] == [("productId", "NOT_FOUND")]


async def test_another_tenant_cannot_revalue_or_see_our_adjustments(
    runtime: Runtime, site: Site, other_tenant: TenantHandle
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5", "2")
    await revalue(runtime, site.tenant, site.product_id, "5", "5")
    await make_site(runtime, other_tenant.id)
    with pytest.raises(InvalidInput) as caught:
        await revalue(runtime, other_tenant.id, site.product_id, "100", "5")
    assert {p.code for p in caught.value.problems} == {"NOT_FOUND"}
    assert await cost(runtime, site.tenant, site.product_id) == D("3.0000")
    assert await adjustments(runtime, other_tenant.id, site.product_id) == []
    assert len(await adjustments(runtime, site.tenant, site.product_id)) == 1
