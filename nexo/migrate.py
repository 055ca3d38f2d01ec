"""Bring a database to the current schema: the application role, then the migrations.

Runs as the owner. The application role is created (or corrected) here so that it is
always `NOSUPERUSER NOBYPASSRLS` and owns nothing; migrations grant it table rights.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.settings import Settings

_ROOT = Path(__file__).resolve().parent


def alembic_config() -> Config:
    for ini in (_ROOT.parent / "alembic.ini", _ROOT / "alembic.ini"):
        if ini.exists():
            cfg = Config(str(ini))
            scripts = ini.parent / ("alembic" if ini.parent != _ROOT else "migrations")
            cfg.set_main_option("script_location", str(scripts))
            return cfg
    raise FileNotFoundError("alembic.ini not found beside the nexo package")


async def ensure_database(owner: URL) -> None:
    """Create the owner URL's database if it does not exist (embedded and test setups)."""
    admin = create_async_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("select 1 from pg_database where datname = :n"), {"n": owner.database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{owner.database}"'))
    finally:
        await admin.dispose()


async def ensure_app_role(engine: AsyncEngine, settings: Settings, app: URL) -> None:
    role = app.username or settings.app_role
    password = app.password or settings.app_password
    attributes = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT"
    async with engine.begin() as conn:
        exists = await conn.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": role})
        verb = "ALTER" if exists else "CREATE"
        # Identifiers and passwords cannot be bound parameters in DDL; quote them.
        quoted_pw = str(password).replace("'", "''")
        await conn.execute(text(f"{verb} ROLE \"{role}\" {attributes} PASSWORD '{quoted_pw}'"))
        database = (await conn.scalar(text("select current_database()"))) or ""
        await conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def migrate(owner: URL, app: URL, settings: Settings, *, revision: str = "heads") -> None:
    engine = create_async_engine(owner)
    try:
        await ensure_app_role(engine, settings, app)
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
        if settings.signing_keys == "managed":
            return  # keys are created and rotated by the operator (`nexo keys rotate`)
        async with engine.begin() as conn:
            from sqlalchemy.ext.asyncio import AsyncSession

            from subgraphs.identity.api import ensure_signing_key

            async with AsyncSession(bind=conn) as session:
                await ensure_signing_key(session)
                await session.flush()
    finally:
        await engine.dispose()
