"""A mutation field commits only if it succeeded as a whole; queries cannot write."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from shared.context import Runtime
from shared.errors import InvalidInput, NotFound
from shared.graphql import UserError, build_schema, context, perform
from shared.outbox import OutboxEvent, emit
from tests.conftest import GraphQLClient, TenantHandle


async def _write(info: Info[Any, Any], label: str) -> None:
    ctx = context(info)
    tenant = ctx.require().tenant_id
    async with ctx.session() as session:
        await emit(
            session,
            tenant,
            type=label,
            aggregate_type="Test",
            aggregate_id=uuid.uuid4(),
            payload={},
        )


@strawberry.type
class Detail:
    @strawberry.field
    def ok(self) -> str:
        return "fine"

    @strawberry.field
    def broken(self) -> str:
        raise NotFound("a nested field failed")


@strawberry.type
class WritePayload:
    detail: Detail | None
    errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def write(self, info: Info[Any, Any], label: str) -> WritePayload:
        await _write(info, label)
        return WritePayload(detail=Detail(), errors=[])

    @strawberry.mutation
    async def write_then_refuse(self, info: Info[Any, Any], label: str) -> WritePayload:
        async def action(session: Any, principal: Any) -> None:
            await _write(info, label)
            raise InvalidInput.one("input.x", "NOPE", "refused after writing")

        _, errors = await perform(info, None, action)
        return WritePayload(detail=None, errors=errors)

    @strawberry.mutation
    async def write_then_crash(self, info: Info[Any, Any], label: str) -> WritePayload:
        await _write(info, label)
        raise RuntimeError("crash after writing")


@strawberry.type
class Query:
    @strawberry.field
    async def sneaky(self, info: Info[Any, Any]) -> bool:
        await _write(info, "from-a-query")
        return True


async def events(runtime: Runtime, tenant: TenantHandle, label: str) -> int:
    async with runtime.db.transaction(tenant.id, readonly=True) as s:
        stmt = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == label)
        return int(await s.scalar(stmt) or 0)


def client(runtime: Runtime) -> GraphQLClient:
    return GraphQLClient(runtime, build_schema(query=Query, mutation=Mutation))


async def test_success_commits(runtime: Runtime, tenant: TenantHandle) -> None:
    r = await client(runtime)(
        'mutation { write(label: "ok") { detail { ok } errors { code } } }', token=tenant.token
    )
    assert r == {"data": {"write": {"detail": {"ok": "fine"}, "errors": []}}}
    assert await events(runtime, tenant, "ok") == 1


async def test_an_error_in_the_selection_rolls_back(runtime: Runtime, tenant: TenantHandle) -> None:
    r = await client(runtime)(
        'mutation { write(label: "nested") { detail { ok broken } } }', token=tenant.token
    )
    assert r["errors"][0]["path"] == ["write", "detail", "broken"]
    assert await events(runtime, tenant, "nested") == 0


async def test_payload_errors_roll_back(runtime: Runtime, tenant: TenantHandle) -> None:
    # The client does not even select `errors`: the refusal must still undo the write.
    r = await client(runtime)(
        'mutation { writeThenRefuse(label: "refused") { detail { ok } } }', token=tenant.token
    )
    assert r == {"data": {"writeThenRefuse": {"detail": None}}}
    assert await events(runtime, tenant, "refused") == 0


async def test_a_crash_rolls_back_and_is_masked(runtime: Runtime, tenant: TenantHandle) -> None:
    r = await client(runtime)(
        'mutation { writeThenCrash(label: "crash") { errors { code } } }', token=tenant.token
    )
    assert r["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await events(runtime, tenant, "crash") == 0


async def test_each_mutation_field_is_its_own_unit_of_work(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    r = await client(runtime)(
        'mutation { a: write(label: "first") { errors { code } } '
        'b: writeThenCrash(label: "second") { errors { code } } '
        'c: write(label: "third") { errors { code } } }',
        token=tenant.token,
    )
    # `b` is non-null, so its failure nulls `data` and stops the serial execution
    # (GraphQL spec 6.3.1): `a` stays committed, `b` is undone, `c` never ran.
    assert r["data"] is None
    assert r["errors"][0]["path"] == ["b"]
    assert await events(runtime, tenant, "first") == 1
    assert await events(runtime, tenant, "second") == 0
    assert await events(runtime, tenant, "third") == 0


async def test_queries_cannot_write(runtime: Runtime, tenant: TenantHandle) -> None:
    r = await client(runtime)("{ sneaky }", token=tenant.token)
    assert r["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await events(runtime, tenant, "from-a-query") == 0
