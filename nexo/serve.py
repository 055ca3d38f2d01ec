"""Start-up and shutdown of a NEXO process: database, migrations, demo data, HTTP."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

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
            if urls.embedded:
                database.stop_embedded()
            raise
    try:
        yield runtime
    finally:
        await runtime.db.dispose()
        if urls.embedded:
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


async def _serve_app(app: object, host: str, port: int) -> None:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=None,
        lifespan="auto",
        # In-flight requests get a few seconds after SIGTERM (each is bounded by the
        # router's deadline anyway); then the process exits.
        timeout_graceful_shutdown=5,
    )
    await GracefulServer(config).serve()


async def serve(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    """Embedded mode: the router and every subgraph in this process."""
    from nexo.graph import build_graph, in_process_transports
    from router.app import create_router_app

    configure_logging(settings.log_level)
    async with prepared(settings, demo=demo) as runtime:
        graph = build_graph()
        app = create_router_app(
            graph.composition.supergraph_sdl,
            in_process_transports(graph, runtime),
            dev=settings.dev,
        )
        # Notifications: its PDF documents beside /graphql, its worker in the background
        # (in split mode the notifications subgraph's own app does both).
        from subgraphs.notifications import api as notifications

        app.router.routes.extend(notifications.document_routes(runtime))
        console.log(f"NEXO listening on http://{host}:{port}/graphql")
        async with notifications.running(runtime.db):
            await _serve_app(app, host, port)


async def serve_subgraph(settings: Settings, *, name: str, host: str, port: int) -> None:
    """One subgraph alone (split mode); the parent has migrated already."""
    from subgraphs.registry import SUBGRAPHS

    spec = next(s for s in SUBGRAPHS if s.name == name)
    configure_logging(settings.log_level)
    async with prepared(settings, run_migrations=False) as runtime:
        await _serve_app(spec.create_app(runtime), host, port)


async def serve_split(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    """Split mode: each subgraph in its own uvicorn process, the router over HTTP."""
    from nexo.graph import build_graph
    from router.app import create_router_app, http_transports
    from router.supergraph import load_supergraph
    from subgraphs.registry import SUBGRAPHS

    configure_logging(settings.log_level)
    async with prepared(settings, demo=demo):
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "nexo",
                "subgraph",
                spec.name,
                "--host",
                host,
                "--port",
                str(spec.port),
            )
            for spec in SUBGRAPHS
        ]
        try:
            graph = build_graph(host)
            app = create_router_app(
                graph.composition.supergraph_sdl,
                http_transports(load_supergraph(graph.composition.supergraph_sdl)),
                dev=settings.dev,
            )
            console.log(f"NEXO (split) listening on http://{host}:{port}/graphql")
            await _serve_app(app, host, port)
        finally:
            for child in children:
                if child.returncode is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    await asyncio.wait_for(child.wait(), 30)
                except TimeoutError:
                    child.kill()


def run(settings: Settings, *, host: str, port: int, demo: bool, split: bool = False) -> None:
    main = serve_split if split else serve
    asyncio.run(main(settings, host=host, port=port, demo=demo))


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
        if urls.embedded:
            database.stop_embedded()
