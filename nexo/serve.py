"""Start-up and shutdown of a NEXO process: database, migrations, demo data, HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from rich.console import Console
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
async def _database(
    settings: Settings, *, run_migrations: bool, demo: bool
) -> AsyncIterator[tuple[database.DatabaseUrls, Runtime]]:
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
        yield urls, runtime
    finally:
        await runtime.db.dispose()
        if urls.embedded:
            database.stop_embedded()


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
    async with _database(settings, run_migrations=run_migrations, demo=demo) as (urls, runtime):
        gauges = metrics_collector.install(settings, urls.owner, domains=metrics_domains)
        try:
            yield runtime
        finally:
            await gauges.close()


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


def _embedded_app(settings: Settings, runtime: Runtime) -> Starlette:
    """The router with every subgraph in-process, and the routes beside the graph."""
    from nexo.graph import build_graph, in_process_transports
    from router.app import create_router_app
    from subgraphs.notifications import api as notifications

    graph = build_graph()
    app = create_router_app(
        graph.composition.supergraph_sdl,
        in_process_transports(graph, runtime),
        dev=settings.dev,
    )
    _public_routes(app, runtime)
    # Notifications' PDF documents beside /graphql (in split mode the notifications
    # subgraph's own app serves them).
    app.router.routes.extend(notifications.document_routes(runtime))
    return app


async def serve(settings: Settings, *, host: str, port: int, demo: bool) -> None:
    """Embedded mode: the router and every subgraph in this process."""
    from subgraphs.notifications import api as notifications

    configure_logging(settings.log_level)
    async with prepared(settings, demo=demo) as runtime:
        app = _embedded_app(settings, runtime)
        console.log(f"NEXO listening on http://{host}:{port}/graphql")
        # The notifications worker in the background (split mode: its subgraph's process).
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


def default_workers(settings: Settings) -> int:
    """Production: a worker per core the process may use (the container's CPU quota, or
    the cores it may run on); development: one, which keeps a debugger simple."""
    if not settings.production:
        return 1
    from nexo.metrics_collector import cpu_limit_cores

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, math.floor(cpu_limit_cores())))


def _listen(host: str, port: int, count: int) -> list[socket.socket]:
    """A listening socket per worker, all on (host, port) with SO_REUSEPORT: the kernel
    spreads new connections over them evenly. (One shared socket would not: a worker
    that wakes first accepts a whole burst of connections.) Bound here, before the
    database is prepared, so a port in use fails at once; a plain bind first, so a port
    another process listens on is refused rather than shared with it."""
    with socket.create_server((host, port)):
        pass
    reuse = hasattr(socket, "SO_REUSEPORT")
    listeners = [
        socket.create_server((host, port), backlog=2048, reuse_port=reuse)
        # Without SO_REUSEPORT every worker accepts on the one socket.
        for _ in range(count if reuse else 1)
    ]
    for listener in listeners:
        listener.set_inheritable(True)
    return listeners


async def serve_workers(
    settings: Settings, *, host: str, port: int, demo: bool, workers: int
) -> None:
    """`workers` processes, each the router and every subgraph in-process, accepting on
    the port through sockets this process bound. This process only prepares and
    supervises: the embedded PostgreSQL is started once, here, and migrations and the demo
    seed run once, before any worker starts; the workers are told the database's URL.
    Their metrics go to a fresh prometheus-client multiprocess directory, so any worker's
    `/metrics` answers for all of them."""
    from prometheus_client import multiprocess

    from shared.metrics import multiprocess_environment

    configure_logging(settings.log_level)
    listeners = _listen(host, port, workers)
    metrics_dir = tempfile.mkdtemp(prefix="nexo-metrics-")
    try:
        async with _database(settings, run_migrations=True, demo=demo) as (urls, runtime):
            await runtime.db.dispose()  # the workers have their own pools
            fds = [listener.fileno() for listener in listeners]
            worker: tuple[str, ...] = (sys.executable, "-m", "nexo", "serve-worker")
            worker += ("--host", host, "--port", str(port))
            if urls.embedded:
                # The server this process started (its URL names a socket, no password);
                # otherwise the workers read DATABASE_URL as this process did.
                worker += ("--embedded-database", urls.owner.render_as_string(hide_password=False))
            # Worker i accepts on socket i, kept open here: a restarted worker takes up
            # the connections that queued on it meanwhile.
            commands = {
                f"worker {i}": (*worker, "--index", str(i), "--fd", str(fds[i % len(fds)]))
                for i in range(workers)
            }
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                async with Supervisor(
                    commands,
                    env=multiprocess_environment(metrics_dir),
                    pass_fds=fds,
                    on_give_up=lambda _: stop.set(),
                    # A dead worker's live gauges (requests in flight, connections in use)
                    # must not count any more; its counters keep counting.
                    on_exit=lambda pid: multiprocess.mark_process_dead(pid, metrics_dir),  # type: ignore[no-untyped-call]
                ) as supervisor:
                    console.log(
                        f"NEXO listening on http://{host}:{port}/graphql ({workers} workers)"
                    )
                    await stop.wait()
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
    finally:
        for listener in listeners:
            listener.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    if supervisor.gave_up is not None:
        raise supervisor.gave_up


async def serve_worker(
    settings: Settings,
    *,
    fd: int,
    index: int,
    host: str,
    port: int,
    embedded_database: str | None = None,
) -> None:
    """One worker of `serve --workers`: accepts on the inherited socket `fd`, on the
    embedded database its parent started (never starting one itself); worker 0 also runs
    the notifications worker (one relay is enough; `nexo worker` adds more)."""
    from subgraphs.notifications import api as notifications

    if embedded_database:
        settings = dataclasses.replace(settings, database_url=embedded_database)
    configure_logging(settings.log_level)
    sock = socket.socket(fileno=fd)
    async with prepared(settings, run_migrations=False) as runtime:
        server = _server(_embedded_app(settings, runtime), host, port)
        orphaned = asyncio.create_task(_stop_when_orphaned(server))
        try:
            async with contextlib.AsyncExitStack() as stack:
                if index == 0:
                    await stack.enter_async_context(notifications.running(runtime.db))
                await server.serve(sockets=[sock])
        finally:
            orphaned.cancel()


def run(
    settings: Settings,
    *,
    host: str,
    port: int,
    demo: bool,
    split: bool = False,
    workers: int | None = None,
) -> None:
    count = workers or default_workers(settings)
    try:
        if split:
            if workers and workers > 1:
                raise SystemExit("nexo serve: --workers and --split do not go together")
            asyncio.run(serve_split(settings, host=host, port=port, demo=demo))
        elif count > 1:
            asyncio.run(serve_workers(settings, host=host, port=port, demo=demo, workers=count))
        else:
            asyncio.run(serve(settings, host=host, port=port, demo=demo))
    except GaveUp as exc:
        mode = "--split: subgraph" if split else "--workers:"
        console.print(f"[red]nexo serve {mode} {exc}")
        raise SystemExit(1) from None
