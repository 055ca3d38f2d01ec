"""`nexo seed --demo`: the demo tenant, deterministic and idempotent."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from nexo.seed import DEMO_SLUG, DEMO_USERS, seed_demo
from shared.context import Runtime
from shared.db import DOMAIN_SCHEMAS
from subgraphs.identity import api as identity


async def _row_counts(owner_engine: AsyncEngine, tenant: object) -> dict[str, int]:
    counts = {}
    async with owner_engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "select table_schema || '.' || table_name from information_schema.columns "
                    "where column_name = 'tenant_id' and table_schema = any(:s)"
                ),
                {"s": list(DOMAIN_SCHEMAS)},
            )
        ).scalars()
        for table in sorted(tables):
            schema, name = table.split(".")
            counts[table] = int(
                await conn.scalar(
                    text(f'select count(*) from "{schema}"."{name}" where tenant_id = :t'),
                    {"t": tenant},
                )
                or 0
            )
    return counts


async def test_demo_seed_is_idempotent_and_every_demo_user_logs_in(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    messages: list[str] = []
    tenant = await seed_demo(runtime, report=messages.append)
    first = await _row_counts(owner_engine, tenant)
    assert first["identity.user"] == len(DEMO_USERS)
    assert first["crm.customer"] == 40 + 12  # 12 of the 60 leads were converted
    assert first["crm.lead"] == 60
    assert first["crm.deal"] >= 30
    assert first["stock.product"] == 120
    assert first["stock.warehouse"] == 3
    async with owner_engine.connect() as conn:
        open_alerts = await conn.scalar(
            text(
                "select count(*) from stock.low_stock_alert where tenant_id = :t and status = 'OPEN'"
            ),
            {"t": tenant},
        )
    assert 5 <= open_alerts <= 8
    again = await seed_demo(runtime, report=messages.append)
    assert again == tenant
    assert await _row_counts(owner_engine, tenant) == first
    for user in DEMO_USERS:
        async with runtime.db.transaction(None) as session:
            result = await identity.login(
                session,
                runtime.db,
                runtime.settings,
                tenant_slug=DEMO_SLUG,
                email=user.email,
                password=user.password,
            )
        assert result.roles == [user.role]
