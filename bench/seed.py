"""The demo seed, domain by domain, on a fresh database: SQL statements and seconds each.

    .venv/bin/python bench/seed.py [--runs 1]

Seeds the demo tenant (`nexo.seed.seed_demo`) into a freshly migrated database and prints,
for the identity step and each domain seeder, the statements sent to PostgreSQL (counted
with a `before_cursor_execute` hook on the application engine; an executemany counts
once, as it is one round trip of a batch), the wall-clock seconds and this process's CPU
seconds (steadier than wall-clock on a shared machine; PostgreSQL's own work is not in
it). With `--runs N` the whole seed is repeated into N fresh databases and each row shows
the best run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._db import bench_database
from nexo.seed import seed_demo


async def _once() -> list[tuple[str, int, float, float]]:
    async with bench_database(pool_size=5) as bench:
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(bench.runtime.db.engine.sync_engine, "before_cursor_execute", count)
        rows: list[tuple[str, int, float, float]] = []
        mark = (0, time.perf_counter(), time.process_time())

        def report(message: str) -> None:
            nonlocal mark
            now = (statements, time.perf_counter(), time.process_time())
            name = message.removeprefix("seeded ").split(" with ")[0]
            rows.append((name, now[0] - mark[0], now[1] - mark[1], now[2] - mark[2]))
            mark = now

        await seed_demo(bench.runtime, report=report)
        return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    best: dict[str, tuple[int, float, float]] = {}
    order: list[str] = []
    for _ in range(args.runs):
        for name, n, seconds, cpu in await _once():
            if name not in best:
                order.append(name)
            if name not in best or seconds < best[name][1]:
                best[name] = (n, seconds, cpu)
    print(f"{'step':<28}{'statements':>12}{'seconds':>10}{'cpu s':>8}")
    for name in order:
        n, seconds, cpu = best[name]
        print(f"{name:<28}{n:>12}{seconds:>10.2f}{cpu:>8.2f}")
    total = [sum(row[i] for row in best.values()) for i in range(3)]
    print(f"{'total':<28}{int(total[0]):>12}{total[1]:>10.2f}{total[2]:>8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
