"""Shared set-up for benchmarks: a fresh, migrated database on the embedded PostgreSQL (or
DATABASE_URL), dropped again at the end."""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import create_async_engine

from nexo import database, migrate
from nexo.runtime import build_runtime
from shared.context import Runtime
from shared.settings import load_settings


@dataclass(frozen=True)
class BenchDatabase:
    runtime: Runtime
    owner: URL


@asynccontextmanager
async def bench_database(pool_size: int = 60) -> AsyncIterator[BenchDatabase]:
    base = load_settings()
    settings = dataclasses.replace(base, data_dir=Path(tempfile.mkdtemp(prefix="nexo-bench-")))
    urls = database.resolve(settings)
    name = f"nexo_bench_{uuid.uuid4().hex[:8]}"
    owner, app = urls.owner.set(database=name), urls.app.set(database=name)
    await migrate.ensure_database(owner)
    await migrate.migrate(owner, app, settings)
    runtime = build_runtime(settings, app, pool_size=pool_size)
    try:
        yield BenchDatabase(runtime=runtime, owner=owner)
    finally:
        await runtime.db.dispose()
        admin = create_async_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        if urls.embedded:
            database.stop_embedded()
