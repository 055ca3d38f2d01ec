"""Stock fixtures: a tenant with a warehouse, a stockable product, and GraphQL clients
for users of given roles."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from shared.context import Runtime
from shared.db import TenantId
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle
from tests.conftest import token_for as shared_token_for


@dataclass
class Site:
    tenant: TenantId
    warehouse_id: uuid.UUID
    stock_id: uuid.UUID
    input_id: uuid.UUID
    product_id: uuid.UUID


async def make_site(runtime: Runtime, tenant: TenantId, code: str = "WH1") -> Site:
    async with runtime.db.transaction(tenant) as session:
        wh = await stock.create_warehouse(session, tenant, code=code, name=f"Warehouse {code}")
        locations = await stock.locations_by_warehouse(session, tenant, [wh.id])
        kinds = {loc.kind: loc.id for loc in locations[wh.id]}
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(sku=f"SKU-{uuid.uuid4().hex[:8]}", name="Widget"),
        )
    return Site(
        tenant, wh.id, kinds[stock.LocationKind.STOCK], kinds[stock.LocationKind.INPUT], product.id
    )


async def new_product(
    runtime: Runtime, tenant: TenantId, type: stock.ProductType = stock.ProductType.STOCKABLE
) -> uuid.UUID:
    async with runtime.db.transaction(tenant) as session:
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(sku=f"SKU-{uuid.uuid4().hex[:8]}", name="Gadget", type=type),
        )
    return product.id


async def receive(
    runtime: Runtime,
    tenant: TenantId,
    product: uuid.UUID,
    location: uuid.UUID,
    quantity: str,
    cost: str = "1",
) -> None:
    async with runtime.db.transaction(tenant) as session:
        await stock.receive(
            session,
            tenant,
            source=None,
            lines=[stock.SupplyLine(product, location, Decimal(quantity), Decimal(cost))],
        )


@pytest.fixture
async def site(runtime: Runtime, tenant: TenantHandle) -> Site:
    return await make_site(runtime, tenant.id)


@pytest.fixture(scope="session")
def stock_schema() -> Any:
    from subgraphs.stock.app import build

    return build()


@pytest.fixture
def stock_gql(runtime: Runtime, stock_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, stock_schema)


UserFactory = Callable[[TenantHandle, str], Awaitable[str]]


@pytest.fixture
def token_for(runtime: Runtime) -> UserFactory:
    """An access token for a new user of `tenant` with one built-in role."""

    async def make(tenant: TenantHandle, role: str) -> str:
        return await shared_token_for(runtime, tenant, role)

    return make
