"""Resolver helpers: the opening every resolver would otherwise repeat (context, guard,
session), the payload convention for mutations, and entity and relation loading through
the request's dataloaders."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from shared import idempotency
from shared.auth import Principal
from shared.context import RequestContext
from shared.db import TenantId
from shared.errors import InvalidInput
from shared.graphql.ids import parse_id
from shared.graphql.types import UserError, user_errors

T = TypeVar("T")
M = TypeVar("M")
K = TypeVar("K", bound=Hashable)

Loader = Callable[[RequestContext], DataLoader[K, Any]]
"""A domain's loader accessor: the request's single instance of one dataloader."""


def context(info: Info[Any, Any]) -> RequestContext:
    return cast(RequestContext, info.context)


async def read(
    info: Info[Any, Any],
    permission: str | None,
    action: Callable[[AsyncSession, TenantId], Awaitable[T]],
) -> T:
    """A query's service call: guard, then the request's read-only session."""
    ctx = context(info)
    tenant = ctx.require(permission).tenant_id
    async with ctx.session() as session:
        return await action(session, tenant)


async def perform(
    info: Info[Any, Any],
    permission: str | None,
    action: Callable[[AsyncSession, Principal], Awaitable[T]],
    *,
    path: str | None = "input",
    rename: Mapping[str, str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """A mutation's service call: guard, session, and `InvalidInput` as payload errors.

    The service reports paths relative to its own arguments; `rename` maps its argument
    names onto the input's field names and `path` roots them at the mutation's argument.
    A payload with errors rolls the field's unit of work back (see `unit_of_work`).
    """
    ctx = context(info)
    principal = ctx.require(permission)
    return await _attempt(ctx, lambda session: action(session, principal), path, rename)


async def perform_anonymous(
    info: Info[Any, Any],
    action: Callable[[AsyncSession], Awaitable[T]],
    *,
    path: str | None = "input",
    rename: Mapping[str, str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """`perform` for the few mutations that establish identity (sign-up, login, refresh)."""
    return await _attempt(context(info), action, path, rename)


async def _attempt(
    ctx: RequestContext,
    action: Callable[[AsyncSession], Awaitable[T]],
    path: str | None,
    rename: Mapping[str, str] | None,
) -> tuple[T | None, list[UserError]]:
    try:
        async with ctx.session() as session:
            return await action(session), []
    except InvalidInput as exc:
        return None, user_errors(exc.under(path, rename))


def _record_id(result: Any) -> uuid.UUID:
    return cast(uuid.UUID, result.id)


async def perform_idempotent(
    info: Info[Any, Any],
    permission: str,
    operation: str,
    input: object,
    action: Callable[[AsyncSession, Principal], Awaitable[M]],
    replay: Callable[[AsyncSession, TenantId, uuid.UUID], Awaitable[M]],
    *,
    identify: Callable[[M], uuid.UUID] = _record_id,
    path: str | None = "input",
    rename: Mapping[str, str] | None = None,
) -> tuple[M | None, list[UserError]]:
    """`perform`, honouring the request's `Idempotency-Key` (see `shared.idempotency`):
    the same key and input replay the stored result, loaded by `replay` from the id that
    `identify` took from the first result; the same key with other input is a CONFLICT."""
    key = context(info).headers.get(idempotency.HEADER)
    if key is None:
        return await perform(info, permission, action, path=path, rename=rename)
    request = dataclasses.asdict(input)  # type: ignore[call-overload]

    async def once(session: AsyncSession, principal: Principal) -> M:
        tenant = principal.tenant_id
        stored = await idempotency.claim(
            session, tenant, key=key, operation=operation, request=request
        )
        if stored is not None:
            return await replay(session, tenant, stored)
        result = await action(session, principal)
        await idempotency.record(
            session, tenant, key=key, result_type=operation, result_id=identify(result)
        )
        return result

    return await perform(info, permission, once, path=path, rename=rename)


async def reference(
    info: Info[Any, Any],
    permission: str | None,
    loader: Loader[uuid.UUID],
    id: str,
    convert: Callable[[Any], T],
) -> T | None:
    """An entity's `resolve_reference`: guard, batch-load by id, convert; None when the
    id is unknown or another tenant's (the router then answers null)."""
    ctx = context(info)
    ctx.require(permission)
    row = await loader(ctx).load(parse_id(id))
    return None if row is None else convert(row)


async def load_one(
    info: Info[Any, Any], loader: Loader[K], key: K | None, convert: Callable[[Any], T]
) -> T | None:
    """A to-one relation through a dataloader; None for no key or no row."""
    if key is None:
        return None
    row = await loader(context(info)).load(key)
    return None if row is None else convert(row)


async def load_required(
    info: Info[Any, Any], loader: Loader[K], key: K, convert: Callable[[Any], T]
) -> T:
    """A to-one relation that a foreign key guarantees."""
    row = await loader(context(info)).load(key)
    if row is None:
        raise LookupError(f"dangling reference {key!r} through {loader.__qualname__}")
    return convert(row)


async def load_many(
    info: Info[Any, Any], loader: Loader[K], key: K, convert: Callable[[Any], T]
) -> list[T]:
    """A to-many relation through a dataloader whose default is an empty list."""
    rows = await loader(context(info)).load(key)
    return [convert(r) for r in rows]
