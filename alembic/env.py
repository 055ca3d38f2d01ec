"""Alembic environment (async). `nexo migrate` hands in a connection; run standalone
(`alembic check`), it resolves the database the way `nexo` does."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from nexo.models import load_models
from shared.db import DOMAIN_SCHEMAS, Base

config = context.config
load_models()
target_metadata = Base.metadata


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "schema":
        return name in DOMAIN_SCHEMAS
    return True


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    from nexo import database
    from shared.settings import get_settings

    urls = database.resolve(get_settings())
    engine = create_async_engine(urls.owner)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()
        database.stop_embedded()


connection = config.attributes.get("connection")
if connection is None:
    asyncio.run(run_standalone())
else:
    do_run_migrations(connection)
