"""The Idempotency-Key store: a first claim owns the key, a replay finds the stored id,
other input under the same key is a conflict, a rolled-back attempt leaves no key."""

from __future__ import annotations

import uuid

import pytest

from shared import idempotency
from shared.context import Runtime
from shared.errors import BadUserInput, Conflict
from tests.conftest import TenantHandle


async def test_claim_record_replay(runtime: Runtime, tenant: TenantHandle) -> None:
    result = uuid.uuid4()
    async with runtime.db.transaction(tenant.id) as session:
        first = await idempotency.claim(
            session, tenant.id, key="k-1", operation="op", request={"a": 1}
        )
        assert first is None
        await idempotency.record(session, tenant.id, key="k-1", result_type="op", result_id=result)
    async with runtime.db.transaction(tenant.id) as session:
        again = await idempotency.claim(
            session, tenant.id, key="k-1", operation="op", request={"a": 1}
        )
    assert again == result


@pytest.mark.parametrize(("operation", "request_"), [("op", {"a": 2}), ("other", {"a": 1})])
async def test_same_key_other_request_conflicts(
    runtime: Runtime, tenant: TenantHandle, operation: str, request_: dict[str, int]
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        await idempotency.claim(session, tenant.id, key="k-2", operation="op", request={"a": 1})
        await idempotency.record(
            session, tenant.id, key="k-2", result_type="op", result_id=uuid.uuid4()
        )
    async with runtime.db.transaction(tenant.id) as session:
        with pytest.raises(Conflict):
            await idempotency.claim(
                session, tenant.id, key="k-2", operation=operation, request=request_
            )


async def test_keys_are_per_tenant(
    runtime: Runtime, tenant: TenantHandle, other_tenant: TenantHandle
) -> None:
    for t in (tenant, other_tenant):
        async with runtime.db.transaction(t.id) as session:
            assert (
                await idempotency.claim(session, t.id, key="shared", operation="op", request={})
                is None
            )


async def test_a_rolled_back_attempt_leaves_no_key(runtime: Runtime, tenant: TenantHandle) -> None:
    async def attempt() -> None:
        async with runtime.db.transaction(tenant.id) as session:
            await idempotency.claim(session, tenant.id, key="k-3", operation="op", request={})
            raise RuntimeError("the operation failed")

    with pytest.raises(RuntimeError):
        await attempt()
    async with runtime.db.transaction(tenant.id) as session:
        assert (
            await idempotency.claim(session, tenant.id, key="k-3", operation="op", request={})
            is None
        )


@pytest.mark.parametrize("key", ["", "   ", "x" * (idempotency.MAX_KEY_LENGTH + 1)])
async def test_bad_keys_are_refused(runtime: Runtime, tenant: TenantHandle, key: str) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        with pytest.raises(BadUserInput):
            await idempotency.claim(session, tenant.id, key=key, operation="op", request={})
