"""A mutation field commits only if it succeeded as a whole; queries cannot write."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from shared.codes import Code
from shared.context import Runtime
from shared.errors import Conflict, InvalidInput
from shared.graphql.resolvers import context, perform
from shared.graphql.schema import build_schema
from shared.graphql.types import UserError
from shared.loaders import loader
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
        raise Conflict("a nested field failed")


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
            raise InvalidInput.one("x", Code.INVALID, "refused after writing")

        _, errors = await perform(info, None, action)
        return WritePayload(detail=None, errors=errors)

    @strawberry.mutation
    async def write_then_crash(self, info: Info[Any, Any], label: str) -> WritePayload:
        await _write(info, label)
        raise RuntimeError("crash after writing")


async def _count_events(session: Any, tenant: Any, labels: Any) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxEvent.type, func.count())
        .where(OutboxEvent.type.in_(labels))
        .group_by(OutboxEvent.type)
    )
    return dict(rows.all())


@strawberry.type
class LoaderMutation:
    @strawberry.mutation
    async def write_and_load(self, info: Info[Any, Any], label: str) -> int:
        """A service that reads through a dataloader while its mutation holds the session:
        aiodataloader runs the batch in a task of its own."""

        async def action(session: Any, principal: Any) -> int:
            await emit(
                session,
                principal.tenant_id,
                type=label,
                aggregate_type="Test",
                aggregate_id=uuid.uuid4(),
                payload={},
            )
            counts = loader(context(info), "test.events", _count_events, default=int)
            return int(await counts.load(label))

        found, _ = await perform(info, None, action)
        return -1 if found is None else found


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


async def test_a_dataloader_inside_a_mutation_sees_its_writes(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    schema = build_schema(query=Query, mutation=LoaderMutation)
    r = await asyncio.wait_for(
        GraphQLClient(runtime, schema)(
            'mutation { writeAndLoad(label: "loaded") }', token=tenant.token
        ),
        timeout=20,
    )
    assert r == {"data": {"writeAndLoad": 1}}
    assert await events(runtime, tenant, "loaded") == 1
