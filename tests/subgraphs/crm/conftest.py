"""CRM test helpers: a crm GraphQL client and users with a given role."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.context import Runtime
from subgraphs.identity import service as identity
from tests.conftest import GraphQLClient, TenantHandle

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def crm_schema() -> Any:
    from subgraphs.crm.app import build

    return build()


@pytest.fixture
def crm_gql(runtime: Runtime, crm_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, crm_schema)


async def token_for(runtime: Runtime, tenant: TenantHandle, role: str) -> str:
    """A fresh user of `tenant` with `role`, logged in; returns the access token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    async with runtime.db.transaction(tenant.id) as session:
        await identity.create_user(
            session, tenant.id, email=email, name=role.title(), password=PASSWORD, roles=[role]
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
