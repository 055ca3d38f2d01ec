"""The `nexo` command.

Start-up stays light: this module imports only typer and the settings; every command
imports what it needs (the database, the graph, uvicorn...) inside its function, so
`nexo --help` or a mistyped option answers at once (tests/nexo/test_cli_startup.py).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from shared.settings import get_settings

if TYPE_CHECKING:
    from rich.console import Console

ROUTER_PORT = 3000
"""The router's port (`subgraphs.registry.ROUTER_PORT`, which a test keeps equal): that
module imports the GraphQL machinery, too heavy to load for an option's default."""

app = typer.Typer(no_args_is_help=True, help="NEXO ERP: a federated GraphQL backend.")
keys_app = typer.Typer(no_args_is_help=True, help="Token signing keys.")
schema_app = typer.Typer(no_args_is_help=True, help="The public API schema contract.")
app.add_typer(keys_app, name="keys")
app.add_typer(schema_app, name="schema")
stock_app = typer.Typer(no_args_is_help=True, help="Stock ledger tools.")
app.add_typer(stock_app, name="stock")
config_app = typer.Typer(no_args_is_help=True, help="The configuration (docs/configuration.md).")
app.add_typer(config_app, name="config")
citus_app = typer.Typer(no_args_is_help=True, help="PostgreSQL distributed by tenant (Citus).")
app.add_typer(citus_app, name="citus")
operations_app = typer.Typer(no_args_is_help=True, help="Trusted documents (the safelist).")
app.add_typer(operations_app, name="operations")


class _LazyConsole:
    """rich's Console, made on first use (rich takes a while to import)."""

    _console: Console | None = None

    def print(self, *objects: object) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console()
        self._console.print(*objects)


console = _LazyConsole()
T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio  # not at the top: asyncio alone takes longer to import than typer

    return asyncio.run(coroutine)


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Seed the demo tenant `acme` first.")] = False,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = ROUTER_PORT,
    split: Annotated[
        bool, typer.Option(help="Each subgraph in its own process, the router over HTTP.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes serving the whole graph on the one port"
            " [default: the cores in production (NEXO_ENV=production), 1 in development]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the whole graph on one port (embedded PostgreSQL unless DATABASE_URL is set;
    migrations applied at start)."""
    from nexo import serve as serving

    serving.run(get_settings(), host=host, port=port, demo=demo, split=split, workers=workers)


@app.command("serve-worker", hidden=True)
def serve_worker(
    fd: Annotated[int, typer.Option()],
    index: Annotated[int, typer.Option()],
    host: Annotated[str, typer.Option()],
    port: Annotated[int, typer.Option()],
    embedded_database: Annotated[str | None, typer.Option()] = None,
) -> None:
    """One worker of `serve --workers` (started by it, on the socket it bound)."""
    from nexo import serve as serving

    worker = serving.serve_worker(
        get_settings(),
        fd=fd,
        index=index,
        host=host,
        port=port,
        embedded_database=embedded_database,
    )
    _run(worker)


@app.command(hidden=True)
def subgraph(
    name: str,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 3001,
) -> None:
    """Serve one subgraph (used by `serve --split`)."""
    from nexo import serve as serving

    _run(serving.serve_subgraph(get_settings(), name=name, host=host, port=port))


@app.command()
def router(
    supergraph: Annotated[str, typer.Option(help="A Federation 2 supergraph SDL file.")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = ROUTER_PORT,
) -> None:
    """Serve any Federation 2 supergraph, calling its subgraphs over HTTP."""
    from router.app import serve_supergraph

    serve_supergraph(supergraph, host=host, port=port)


@app.command()
def worker() -> None:
    """Relay outbox events to notifications (in-app, email, SMS) and fire schedules until
    SIGTERM; as many as wanted may run beside `nexo serve` (which runs one itself)."""
    from nexo import serve as serving
    from subgraphs.notifications import api as notifications

    async def main() -> None:
        from shared.logging import configure_logging

        settings = get_settings()
        configure_logging(settings.log_level)
        async with serving.prepared(settings, run_migrations=False) as runtime:
            await notifications.run_until_signalled(runtime.db)

    _run(main())


@app.command()
def migrate() -> None:
    """Apply all migrations (as the database owner)."""
    from nexo import serve as serving

    async def main() -> None:
        async with serving.prepared(get_settings()):
            console.print("[green]database is at the latest migration")

    _run(main())


@app.command()
def seed(
    demo: Annotated[bool, typer.Option(help="The demo tenant `acme`.")] = False,
) -> None:
    """Seed data (idempotent)."""
    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    from nexo import serve as serving

    async def main() -> None:
        async with serving.prepared(get_settings(), demo=True):
            pass
        print_demo_credentials()

    _run(main())


def print_demo_credentials() -> None:
    from rich.table import Table

    from nexo.seed import DEMO_SLUG, DEMO_USERS

    table = Table(title=f"demo tenant `{DEMO_SLUG}`")
    table.add_column("role")
    table.add_column("email")
    table.add_column("password")
    for user in DEMO_USERS:
        table.add_row(user.role, user.email, user.password)
    console.print(table)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new signing key; tokens signed by older keys keep verifying until retired."""
    from nexo import database
    from subgraphs.identity import api as tokens

    async def main() -> None:
        async with database.owner_session(get_settings()) as session:
            kid = await tokens.rotate_signing_key(session)
        console.print(f"new signing key [bold]{kid}[/bold]")

    _run(main())


@keys_app.command("retire")
def keys_retire(kid: str) -> None:
    """Stop accepting tokens signed by KID (and stop signing with it)."""
    from nexo import database
    from subgraphs.identity import api as tokens

    async def main() -> bool:
        async with database.owner_session(get_settings()) as session:
            return await tokens.retire_signing_key(session, kid)

    if not _run(main()):
        console.print(f"[red]no active key {kid}")
        raise typer.Exit(1)
    console.print(f"retired {kid}")


@keys_app.command("list")
def keys_list() -> None:
    """The signing keys, newest last."""
    from rich.table import Table

    from nexo import database
    from subgraphs.identity import api as tokens

    async def main() -> None:
        async with database.owner_session(get_settings()) as session:
            rows = await tokens.list_signing_keys(session)
        table = Table()
        table.add_column("kid")
        table.add_column("created")
        table.add_column("retired")
        for r in rows:
            table.add_row(
                r.kid, r.created_at.isoformat(), r.retired_at.isoformat() if r.retired_at else ""
            )
        console.print(table)

    _run(main())


@schema_app.command("export")
def schema_export(
    output: Annotated[str, typer.Option("--output", "-o")] = "schema.graphql",
) -> None:
    """Write the public API schema (composed, federation machinery stripped)."""
    from nexo.contract import api_schema_sdl

    with open(output, "w", encoding="utf-8") as f:
        f.write(api_schema_sdl())
    console.print(f"wrote {output}")


@schema_app.command("check")
def schema_check(
    against: Annotated[
        str, typer.Option(help="A schema file, or a git ref whose schema.graphql to compare.")
    ] = "HEAD",
) -> None:
    """List breaking and dangerous changes against a previous schema; exit 1 on breaking."""
    from nexo.contract import check_against

    breaking, dangerous = check_against(against)
    for change in dangerous:
        console.print(f"[yellow]dangerous[/yellow] {change}")
    for change in breaking:
        console.print(f"[red]breaking[/red] {change}")
    if not breaking and not dangerous:
        console.print("[green]no breaking or dangerous changes")
    if breaking:
        raise typer.Exit(1)


@stock_app.command("verify")
def stock_verify() -> None:
    """Recompute every stock level from the ledger; list differences (exit 1 if any)."""
    from rich.table import Table
    from sqlalchemy import select

    from nexo import serve as serving
    from shared.db import TenantId
    from subgraphs.identity.api import Tenant
    from subgraphs.stock.api import LevelDifference, verify_levels

    async def main() -> tuple[int, list[LevelDifference]]:
        found: list[LevelDifference] = []
        async with serving.prepared(get_settings(), run_migrations=False) as runtime:
            async with runtime.db.transaction(None, readonly=True) as session:
                tenants = list((await session.scalars(select(Tenant.id))).all())
            # Tenant by tenant, as the application role: row-level security stays on.
            for tenant in tenants:
                async with runtime.db.transaction(TenantId(tenant), readonly=True) as session:
                    found.extend(await verify_levels(session, TenantId(tenant)))
        return len(tenants), found

    checked, differences = _run(main())
    if not differences:
        console.print(f"[green]{checked} tenant(s): every level equals the ledger")
        return
    table = Table(title="levels that differ from the ledger")
    for column in (
        "tenant",
        "product",
        "location",
        "ledger on hand",
        "level on hand",
        "reservations",
        "level reserved",
        "claims",
        "level claimed",
    ):
        table.add_column(column)
    for d in differences:
        table.add_row(
            str(d.tenant_id),
            str(d.product_id),
            str(d.location_id),
            str(d.ledger_on_hand),
            str(d.level_on_hand),
            str(d.reservations),
            str(d.level_reserved),
            str(d.claims),
            str(d.level_claimed),
        )
    console.print(table)
    raise typer.Exit(1)


@config_app.command("show")
def config_show() -> None:
    """The effective configuration, secrets masked; exit 1 if production would refuse it."""
    from nexo.config import show

    text, refused = show()
    typer.echo(text, nl=False)
    if refused:
        raise typer.Exit(1)


@citus_app.command("plan")
def citus_plan() -> None:
    """The Citus calls that distribute every tenant table by tenant_id (docs/scaling.md)."""
    from nexo.citus import plan_sql

    typer.echo(plan_sql(), nl=False)


@operations_app.command("register")
def operations_register(
    file: Annotated[str, typer.Argument(help="A .graphql document or a JSON manifest.")],
) -> None:
    """Add documents to the safelist that NEXO_PERSISTED_QUERIES=safelist runs."""
    from pathlib import Path

    from router.trusted_documents import default_path, register

    target = default_path()
    for digest, name in register(target, Path(file).read_text(encoding="utf-8")):
        typer.echo(f"{digest}  {name}")
    typer.echo(f"safelist: {target}", err=True)


def main() -> None:
    from shared.settings import ConfigurationError

    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"nexo: {exc}", err=True)
        raise SystemExit(2) from None
