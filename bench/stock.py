"""Reservation throughput on one hot product: NEXO's `reserve` (row locks in a stable
order, a reservation row, an outbox-ready ledger) against the ceiling of a bare
`UPDATE ... WHERE available >= n` on one row through raw asyncpg, in the same run; then
5-line sales order confirmations per second against the same ceiling; then an oversell
check: 50 clients race for fewer units than they ask, and the units they got are counted.

A second baseline, "driver": NEXO's own reservation statement, each in a transaction of
its own as NEXO runs it (BEGIN with the tenant binding, the statement, COMMIT: three
round trips) on bare asyncpg connections of the application role, without SQLAlchemy.
It is the ceiling of any reservation that is a transaction on asyncpg, which cannot send
a statement and its COMMIT in one round trip.

    .venv/bin/python bench/stock.py [--ops 2000] [--orders 400] [--rounds 5]

Raw and NEXO run in alternating rounds (the raw loop's rate moves with the disk's fsync
time, 800-1,650/s from one minute to the next on the development machine); each round's
ratio compares the two measured back to back, and the median and range are printed.

Each NEXO reservation (or confirmation) is its own transaction on its own pooled
connection, with the tenant bound as in a request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._db import BenchDatabase, bench_database
from shared.db import TenantId
from subgraphs.crm import api as crm
from subgraphs.identity import api as identity
from subgraphs.sales import orders
from subgraphs.stock import api as ledger
from subgraphs.stock import api as stock
from subgraphs.stock import reserving


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


async def _hot_product(
    bench: BenchDatabase, ops: int
) -> tuple[TenantId, uuid.UUID, ledger.DemandLine]:
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
            session,
            tenant,
            stock.ProductFields(sku="HOT", name="Hot", type=stock.ProductType.STOCKABLE, uom="pcs"),
        )
        warehouse = await stock.create_warehouse(session, tenant, code="B", name="Bench")
        location = await stock.stock_location(session, tenant, warehouse.id)
        await ledger.receive(
            session,
            tenant,
            source=None,
            lines=[ledger.SupplyLine(product.id, location, Decimal(ops * 8), Decimal(1))],
        )
    return tenant, signed.user.id, ledger.DemandLine("1", product.id, location, Decimal(1))


async def _product(
    bench: BenchDatabase, tenant: TenantId, sku: str, units: int
) -> ledger.DemandLine:
    async with bench.runtime.db.transaction(tenant) as session:
        product = await stock.create_product(
            session,
            tenant,
            stock.ProductFields(sku=sku, name=sku, type=stock.ProductType.STOCKABLE, uom="pcs"),
        )
        page = await stock.list_warehouses(session, tenant, first=1, after=None)
        location = await stock.stock_location(session, tenant, page.rows[0].id)
        await ledger.receive(
            session,
            tenant,
            source=None,
            lines=[ledger.SupplyLine(product.id, location, Decimal(units), Decimal(1))],
        )
    return ledger.DemandLine("1", product.id, location, Decimal(1))


async def _orders(
    bench: BenchDatabase, tenant: TenantId, actor: uuid.UUID, count: int
) -> list[uuid.UUID]:
    """`count` quotations of 5 lines (one unit each of 5 hot products)."""
    products = [(await _product(bench, tenant, f"ORD{i}", count * 4)).product_id for i in range(5)]
    async with bench.runtime.db.transaction(tenant) as session:
        customer = await crm.create_customer(
            session,
            tenant,
            fields=crm.CustomerFields(name="Bench Buyer", currency="EUR"),
            actor=actor,
        )
    ids = []
    for _ in range(count):
        async with bench.runtime.db.transaction(tenant) as session:
            order = await orders.create_sales_order(
                session,
                tenant,
                customer_id=customer.id,
                lines=[orders.LineInput(product_id=p, quantity=Decimal(1)) for p in products],
            )
            ids.append(order.id)
    return ids


async def _oversell(
    bench: BenchDatabase, tenant: TenantId, units: int, asks: int
) -> tuple[int, int]:
    """50 clients ask `asks` single units of a product with `units`: (units reserved,
    units reserved beyond what was there — 0 unless the ledger is broken)."""
    line = await _product(bench, tenant, "SCARCE", units)
    db = bench.runtime.db
    got = 0

    async def one() -> None:
        nonlocal got
        try:
            async with db.transaction(tenant) as session:
                await ledger.reserve(
                    session, tenant, demand=ledger.DocumentRef("Bench", uuid.uuid4()), lines=[line]
                )
            got += 1
        except ledger.InsufficientStock:
            pass

    await _run(asks, 50, one)
    return got, max(got - units, 0)


def _span(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def _ratios(ours: list[float], base: list[float]) -> str:
    """Median and range of the per-round ratios (each round's two runs back to back)."""
    ratios = sorted(o / b for o, b in zip(ours, base, strict=True))
    return f"{ratios[len(ratios) // 2]:.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f})"


async def main(ops: int, order_count: int, rounds: int) -> None:
    async with bench_database(pool_size=50) as bench:
        tenant, actor, line = await _hot_product(bench, ops)
        db = bench.runtime.db
        quotations = await _orders(bench, tenant, actor, order_count * 2 + 11 * rounds)

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

        app_dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        begin = f"BEGIN; SELECT set_config('app.tenant_id', '{uuid.UUID(str(tenant))}', true);"

        async def driver_reserve(pool: asyncpg.Pool) -> None:
            args = reserving.RESERVE.arguments(
                reserving.reserve_params(
                    tenant, ledger.DocumentRef("Bench", uuid.uuid4()), [line], False
                )
            )
            async with pool.acquire() as conn:
                await conn.execute(begin)
                try:
                    [row] = await conn.fetch(reserving.RESERVE.sql, *args)
                    if not row["ok"]:
                        raise RuntimeError("the hot product ran out")
                    await conn.execute("COMMIT")
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise

        async def nexo_confirm() -> None:
            async with db.transaction(tenant) as session:
                await orders.confirm_sales_order(session, tenant, quotations.pop())

        print(f"reservations of 1 unit on one hot product, {ops} per scenario;")
        print(f"confirmations of 5-line orders (5 hot products), {order_count} per scenario\n")
        print(
            f"{'clients':>8} {'raw UPDATE/s':>14} {'driver/s':>10} {'driver / raw':>18}"
            f" {'NEXO reserve/s':>16} {'NEXO / raw (median, range)':>26}"
            f" {'NEXO / driver':>18} {'confirm/s':>10} {'confirm / raw':>20}"
        )
        for clients in (1, 50):
            # Alternating rounds, so a change in the machine (the disk's fsync time
            # moves the raw loop most) hits both alike; each round's ratio is its own.
            # One pool at a time (both at 50 connections would pass max_connections),
            # each warmed up before it is timed.
            raws, drivers, nexos, confirms = [], [], [], []
            for _ in range(rounds):
                pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
                assert pool is not None

                async def raw_update(pool: asyncpg.Pool = pool) -> None:
                    await pool.execute(
                        "update public.bench_level set reserved = reserved + $1 "
                        "where id = 1 and on_hand - reserved >= $1",
                        Decimal(1),
                    )

                await _run(100, clients, raw_update)
                raws.append(await _run(ops // rounds, clients, raw_update))
                await pool.close()
                pool = await asyncpg.create_pool(app_dsn, min_size=clients, max_size=clients)
                assert pool is not None
                await _run(100, clients, partial(driver_reserve, pool))
                drivers.append(await _run(ops // rounds, clients, partial(driver_reserve, pool)))
                await pool.close()
                await _run(100, clients, nexo_reserve)
                nexos.append(await _run(ops // rounds, clients, nexo_reserve))
                await _run(min(clients, 10), clients, nexo_confirm)
                confirms.append(await _run(order_count // rounds, clients, nexo_confirm))
                await db.engine.dispose()
            print(
                f"{clients:>8} {_span(raws):>14} {_span(drivers):>10}"
                f" {_ratios(drivers, raws):>18} {_span(nexos):>16}"
                f" {_ratios(nexos, raws):>26} {_ratios(nexos, drivers):>18}"
                f" {_span(confirms):>10} {_ratios(confirms, raws):>20}"
            )
        units = max(ops // 10, 10)
        got, oversold = await _oversell(bench, tenant, units, units * 2)
        print(
            f"\noversell: 50 clients asked {units * 2} units of {units}: {got} reserved,"
            f" {oversold} oversold"
        )
        async with db.transaction(tenant, readonly=True) as session:
            levels = await stock.verify_levels(session, tenant)
        print(f"ledger check after the run: {levels or 'ok'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.ops, args.orders, args.rounds))
