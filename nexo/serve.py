"""Start-up and shutdown of a NEXO process: database, migrations, demo data, HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from starlette.applications import Starlette

from nexo import database, metrics_collector, migrate
from nexo.runtime import build_runtime
from nexo.seed import seed_demo
from nexo.supervisor import GaveUp, Supervisor
from nexo.wellknown import jwks_route
from shared.context import Runtime
from shared.graphiql.web import vendor_files
from shared.logging import configure_logging
from shared.settings import Settings

console = Console(stderr=True)


@asynccontextmanager
async def prepared(
    settings: Settings,
    *,
    run_migrations: bool = True,
    demo: bool = False,
    metrics_domains: Collection[str] | None = None,
) -> AsyncIterator[Runtime]:
    """The database resolved (embedded started if needed), migrated, optionally seeded;
    `/metrics` gets the resource gauges and the database gauges of `metrics_domains`
    (None: every domain's)."""
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
    gauges = metrics_collector.install(settings, urls.owner, domains=metrics_domains)
    try:
        yield runtime
    finally:
        await gauges.close()
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


def _server(app: object, host: str, port: int) -> GracefulServer:
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
    return GracefulServer(config)


async def _serve_app(app: object, host: str, port: int) -> None:
    await _server(app, host, port).serve()


def _public_routes(app: Starlette, runtime: Runtime) -> None:
    """What the public port serves beside the graph, in both modes."""
    app.router.routes.append(jwks_route(runtime))
    if vendor_files() is None:
        console.log(
            "[yellow]GraphiQL's files are missing (NEXO was installed without network);"
            f" `{sys.executable} -m shared.graphiql.assets` fetches them"
        )


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
        _public_routes(app, runtime)
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
    async with prepared(settings, run_migrations=False, metrics_domains={name}) as runtime:
        server = _server(spec.create_app(runtime), host, port)
        orphaned = asyncio.create_task(_stop_when_orphaned(server))
        try:
            await server.serve()
        finally:
            orphaned.cancel()


async def _stop_when_orphaned(server: uvicorn.Server) -> None:
    """Stop serving once the process that started this one is gone: a subgraph of a
    killed `serve --split` would otherwise hold its port, and the next one could not
    start. A process started by init or a container runtime has nothing to watch."""
    parent = os.getppid()
    if parent <= 1:
        return
    while os.getppid() == parent:  # noqa: ASYNC110 (no event tells of a new parent)
        await asyncio.sleep(1)
    console.log(f"[yellow]the process that started this subgraph ({parent}) is gone: stopping")
    server.should_exit = True


async def serve_split(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    """Split mode: each subgraph in its own uvicorn process, the router over HTTP."""
    from nexo.graph import build_graph
    from router.app import create_router_app, http_transports
    from router.supergraph import load_supergraph
    from subgraphs.registry import SUBGRAPHS

    configure_logging(settings.log_level)
    subgraph = (sys.executable, "-m", "nexo", "subgraph")
    commands = {
        spec.name: (*subgraph, spec.name, "--host", host, "--port", str(spec.port))
        for spec in SUBGRAPHS
    }
    async with prepared(settings, demo=demo, metrics_domains=()) as runtime:
        # A subgraph process that dies is started again (the router's /ready says 503
        # meanwhile); one that keeps dying stops the whole of `serve --split`, loudly.
        server: GracefulServer | None = None

        def give_up(_: GaveUp) -> None:
            if server is not None:
                server.should_exit = True

        async with Supervisor(commands, on_give_up=give_up) as supervisor:
            graph = build_graph(host)
            app = create_router_app(
                graph.composition.supergraph_sdl,
                http_transports(load_supergraph(graph.composition.supergraph_sdl)),
                dev=settings.dev,
            )
            _public_routes(app, runtime)
            server = _server(app, host, port)
            if supervisor.gave_up is None:
                console.log(f"NEXO (split) listening on http://{host}:{port}/graphql")
                await server.serve()
    if supervisor.gave_up is not None:
        raise supervisor.gave_up


def run(settings: Settings, *, host: str, port: int, demo: bool, split: bool = False) -> None:
    main = serve_split if split else serve
    try:
        asyncio.run(main(settings, host=host, port=port, demo=demo))
    except GaveUp as exc:
        console.print(f"[red]nexo serve --split: subgraph {exc}")
        raise SystemExit(1) from None


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
