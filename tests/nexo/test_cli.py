"""The `nexo` command against the test database (DATABASE_URL = its owner)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from nexo.cli import app
from shared.context import Runtime
from subgraphs.stock import api as ledger
from subgraphs.stock import api as stock
from tests.conftest import MigratedDatabase, TenantHandle


@pytest.fixture
def cli_env(test_db: MigratedDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from shared.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", test_db.owner.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _some_stock(runtime: Runtime, tenant: TenantHandle) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        product = await stock.create_product(
            session,
            tenant.id,
            stock.ProductFields(sku="CLI-1", name="Verified", type="STOCKABLE", uom="pcs"),
        )
        warehouse = await stock.create_warehouse(session, tenant.id, code="CLI", name="CLI")
        location = await stock.stock_location(session, tenant.id, warehouse.id)
        await ledger.receive(
            session,
            tenant.id,
            source=None,
            lines=[ledger.SupplyLine(product.id, location, Decimal(5), Decimal("2.5"))],
        )


@pytest.mark.usefixtures("cli_env")
async def test_stock_verify_reports_a_tampered_level(
    runtime: Runtime, owner_engine: AsyncEngine, tenant: TenantHandle
) -> None:
    await _some_stock(runtime, tenant)
    runner = CliRunner()
    async with owner_engine.begin() as conn:
        level = (
            await conn.execute(
                text(
                    "select tenant_id, product_id, location_id from stock.stock_level where tenant_id = :t"
                ),
                {"t": tenant.id},
            )
        ).one()
    ok = await _invoke(runner, ["stock", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "every level equals the ledger" in ok.output
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "update stock.stock_level set on_hand = on_hand + 1 where tenant_id = :t and product_id = :p and location_id = :l"
            ),
            {"t": level.tenant_id, "p": level.product_id, "l": level.location_id},
        )
    try:
        bad = await _invoke(runner, ["stock", "verify"])
        assert bad.exit_code == 1
        assert str(level.product_id) in bad.output
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(
                text(
                    "update stock.stock_level set on_hand = on_hand - 1 where tenant_id = :t and product_id = :p and location_id = :l"
                ),
                {"t": level.tenant_id, "p": level.product_id, "l": level.location_id},
            )


async def _invoke(runner: CliRunner, args: list[str]):  # type: ignore[no-untyped-def]
    import asyncio

    # The command runs its own event loop; keep it off the test's loop.
    env = {**os.environ, "COLUMNS": "400"}  # rich would wrap the ids in a narrow terminal
    return await asyncio.to_thread(runner.invoke, app, args, env=env)
