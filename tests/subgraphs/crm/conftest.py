"""CRM test helpers: a crm GraphQL client and users with a given role."""

from __future__ import annotations

from typing import Any

import pytest

from shared.context import Runtime
from tests.conftest import GraphQLClient


@pytest.fixture(scope="session")
def crm_schema() -> Any:
    from subgraphs.crm.app import build

    return build()


@pytest.fixture
def crm_gql(runtime: Runtime, crm_schema: Any) -> GraphQLClient:
    return GraphQLClient(runtime, crm_schema)
