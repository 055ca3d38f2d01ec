"""Reservation throughput on one hot product: NEXO's `reserve` (row locks in a stable
order, a reservation row, an outbox-ready ledger) against the ceiling of a bare
`UPDATE ... WHERE available >= n` on one row through raw asyncpg, in the same run.

    .venv/bin/python bench/stock.py [--ops 2000]

Prints reservations per second with 1 and 50 concurrent clients and the ratio to the raw
loop. Each NEXO reservation is its own transaction on its own pooled connection.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._db import BenchDatabase, bench_database
from shared.db import TenantId
from subgraphs.identity import api as identity
from subgraphs.stock import api as ledger
from subgraphs.stock import api as stock


async def _run(ops: int, clients: int, one: Callable[[], Awaitable[None]]) -> float:
    """Operations per second of `ops` calls spread over `clients` concurrent workers."""
    remaining = ops

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await one()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return ops / (time.perf_counter() - start)


async def _hot_product(bench: BenchDatabase, ops: int) -> tuple[TenantId, ledger.DemandLine]:
    rt = bench.runtime
    async with rt.db.transaction(None) as session:
        signed = await identity.sign_up(
            session,
            rt.settings,
            tenant_name="Bench",
            email="b@bench.example",
            password="bench password",
            name="Bench",
        )
    tenant = TenantId(signed.user.tenant_id)
    async with rt.db.transaction(tenant) as session:
        product = await stock.create_product(
            session, tenant, stock.ProductFields(sku="HOT", name="Hot", type="STOCKABLE", uom="pcs")
        )
        warehouse = await stock.create_warehouse(session, tenant, code="B", name="Bench")
        location = await stock.stock_location(session, tenant, warehouse.id)
        await ledger.receive(
            session,
            tenant,
            source=None,
            lines=[ledger.SupplyLine(product.id, location, Decimal(ops * 8), Decimal(1))],
        )
    return tenant, ledger.DemandLine("1", product.id, location, Decimal(1))


async def main(ops: int) -> None:
    async with bench_database(pool_size=50) as bench:
        tenant, line = await _hot_product(bench, ops)
        db = bench.runtime.db

        async def nexo_reserve() -> None:
            async with db.transaction(tenant) as session:
                demand = ledger.DocumentRef("Bench", uuid.uuid4())
                await ledger.reserve(session, tenant, demand=demand, lines=[line])

        dsn = bench.owner.set(drivername="postgresql").render_as_string(hide_password=False)
        setup = await asyncpg.connect(dsn)
        await setup.execute(
            "create table public.bench_level "
            "(id int primary key, on_hand numeric(18,4), reserved numeric(18,4))"
        )
        await setup.execute("insert into public.bench_level values (1, $1, 0)", Decimal(ops * 4))
        await setup.close()

        print(f"reservations of 1 unit on one hot product, {ops} per scenario\n")
        print(f"{'clients':>8} {'raw UPDATE/s':>14} {'NEXO reserve/s':>16} {'NEXO / raw':>11}")
        for clients in (1, 50):
            # One pool at a time: both at 50 connections would pass max_connections.
            pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
            assert pool is not None

            async def raw_update(pool: asyncpg.Pool = pool) -> None:
                await pool.execute(
                    "update public.bench_level set reserved = reserved + $1 "
                    "where id = 1 and on_hand - reserved >= $1",
                    Decimal(1),
                )

            await _run(min(ops, 200), clients, raw_update)  # warm-up
            raw = await _run(ops, clients, raw_update)
            await pool.close()
            await _run(min(ops, 200), clients, nexo_reserve)  # warm-up
            nexo = await _run(ops, clients, nexo_reserve)
            await db.engine.dispose()
            print(f"{clients:>8} {raw:>14.0f} {nexo:>16.0f} {nexo / raw:>11.2f}")
        async with db.transaction(tenant, readonly=True) as session:
            levels = await stock.verify_levels(session, tenant)
        print(f"\nledger check after the run: {levels or 'ok'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=2000)
    asyncio.run(main(parser.parse_args().ops))
