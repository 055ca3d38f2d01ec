"""Start-up and shutdown of a NEXO process: database, migrations, demo data, HTTP."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from rich.console import Console

from nexo import database, migrate
from nexo.runtime import build_runtime
from nexo.seed import seed_demo
from shared.context import Runtime
from shared.logging import configure_logging
from shared.settings import Settings

console = Console(stderr=True)


@asynccontextmanager
async def prepared(
    settings: Settings, *, run_migrations: bool = True, demo: bool = False
) -> AsyncIterator[Runtime]:
    """The database resolved (embedded started if needed), migrated, optionally seeded."""
    with console.status("starting PostgreSQL") as status:
        urls = database.resolve(settings)
        try:
            if urls.embedded:
                await migrate.ensure_database(urls.owner)
            if run_migrations:
                status.update("applying migrations")
                await migrate.migrate(urls.owner, urls.app, settings)
            runtime = build_runtime(settings, urls.app)
            if demo:
                status.update("seeding demo data")
                await seed_demo(runtime, report=lambda m: console.log(m))
        except BaseException:
            database.stop_embedded()
            raise
    try:
        yield runtime
    finally:
        await runtime.db.dispose()
        database.stop_embedded()


class GracefulServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which would kill the
    process before it stops the embedded PostgreSQL; here the signal only ends serving."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def serve(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    configure_logging(settings.log_level)
    async with prepared(settings, demo=demo) as runtime:
        from subgraphs.identity.app import create_app

        app = create_app(runtime)
        config = uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off")
        console.log(f"NEXO listening on http://{host}:{port}/graphql")
        await GracefulServer(config).serve()


def run(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    asyncio.run(serve(settings, host=host, port=port, demo=demo))


@asynccontextmanager
async def owner_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A committed transaction as the database owner, for administrative commands."""
    urls = database.resolve(settings)
    engine = create_async_engine(urls.owner)
    try:
        async with engine.begin() as conn, AsyncSession(bind=conn) as session:
            yield session
            await session.flush()
    finally:
        await engine.dispose()
        database.stop_embedded()
