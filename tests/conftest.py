"""Test infrastructure: one real PostgreSQL per run (the embedded one unless DATABASE_URL
is set), a fresh database migrated once by the real migrations, and isolation by a fresh
tenant per test."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nexo import database, migrate
from nexo.runtime import build_runtime
from shared.context import Runtime
from shared.db import TenantId
from shared.graphql.http import execute_in_process
from shared.settings import Settings, load_settings
from subgraphs.identity import api as identity


@pytest.fixture(scope="session")
def settings() -> Settings:
    data_dir = Path(tempfile.mkdtemp(prefix="nexo-test-"))
    base = load_settings()
    return dataclasses.replace(
        base, data_dir=base.data_dir if os.environ.get("NEXO_DATA_DIR") else data_dir
    )


@dataclasses.dataclass(frozen=True)
class MigratedDatabase:
    owner: URL
    app: URL


@pytest.fixture(scope="session")
async def test_db(settings: Settings) -> AsyncIterator[MigratedDatabase]:
    urls = database.resolve(settings)
    name = f"nexo_test_{uuid.uuid4().hex[:10]}"
    owner = urls.owner.set(database=name)
    app = urls.app.set(database=name)
    await migrate.ensure_database(owner)
    await migrate.migrate(owner, app, settings)
    yield MigratedDatabase(owner=owner, app=app)
    admin = create_async_engine(owner.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        from sqlalchemy import text

        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
    database.stop_embedded()


@pytest.fixture(scope="session")
async def runtime(settings: Settings, test_db: MigratedDatabase) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings, test_db.app, pool_size=5)
    yield rt
    await rt.db.dispose()


@pytest.fixture(scope="session")
async def owner_engine(test_db: MigratedDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(test_db.owner)
    yield engine
    await engine.dispose()


@dataclasses.dataclass
class TenantHandle:
    id: TenantId
    slug: str
    admin_email: str
    admin_password: str
    admin_id: uuid.UUID
    token: str
    refresh_token: str


async def make_tenant(runtime: Runtime, name: str = "Test Co") -> TenantHandle:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    password = "correct horse battery"
    async with runtime.db.transaction(None) as session:
        result = await identity.sign_up(
            session,
            runtime.settings,
            tenant_name=f"{name} {uuid.uuid4().hex[:6]}",
            email=email,
            password=password,
            name="Admin",
        )
    tenant = TenantId(result.user.tenant_id)
    async with runtime.db.transaction(tenant, readonly=True) as session:
        from subgraphs.identity.models import Tenant

        slug = (await session.get(Tenant, tenant)).slug  # type: ignore[union-attr]
    return TenantHandle(
        id=tenant,
        slug=slug,
        admin_email=email,
        admin_password=password,
        admin_id=result.user.id,
        token=result.access_token,
        refresh_token=result.refresh_token,
    )


PASSWORD = "correct horse battery"


async def token_for(runtime: Runtime, tenant: TenantHandle, role: str, *more: str) -> str:
    """A fresh user of `tenant` with `role` (and `more` roles), logged in; returns the
    access token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.transaction(tenant.id) as session:
        await identity.create_user(
            session,
            tenant.id,
            email=email,
            name=role.title(),
            password=PASSWORD,
            roles=[role, *more],
        )
    async with runtime.db.transaction(None) as session:
        result = await identity.login(
            session,
            runtime.db,
            runtime.settings,
            tenant_slug=tenant.slug,
            email=email,
            password=PASSWORD,
        )
    return result.access_token


@pytest.fixture
async def tenant(runtime: Runtime) -> TenantHandle:
    return await make_tenant(runtime, "Tenant A")


@pytest.fixture
async def other_tenant(runtime: Runtime) -> TenantHandle:
    return await make_tenant(runtime, "Tenant B")


class GraphQLClient:
    """Calls a subgraph in-process exactly as the router will (same context building)."""

    def __init__(self, runtime: Runtime, schema: Any) -> None:
        self.runtime = runtime
        self.schema = schema

    async def __call__(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        h = dict(headers or {})
        if token:
            h["authorization"] = f"Bearer {token}"
        return await execute_in_process(
            self.runtime, self.schema, {"query": query, "variables": dict(variables or {})}, h
        )


@pytest.fixture(scope="session")
def identity_schema() -> Any:
    from subgraphs.identity.app import build

    return build()


@pytest.fixture
def identity_gql(runtime: Runtime, identity_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, identity_schema)
