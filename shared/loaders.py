"""Per-request dataloaders: one per key, batching every load of a tick into one query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import RequestContext
from shared.db import TenantId

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Batch = Callable[[AsyncSession, TenantId, Sequence[K]], Awaitable[dict[K, V]]]
"""Loads many keys at once; keys absent from the result resolve to the default."""


def loader(
    ctx: RequestContext,
    name: str,
    batch: Batch[K, V],
    *,
    default: Callable[[], Any] = lambda: None,
) -> DataLoader[K, Any]:
    async def load(keys: list[K]) -> list[Any]:
        tenant = ctx.require().tenant_id
        async with ctx.session() as session:
            found = await batch(session, tenant, keys)
        return [found[k] if k in found else default() for k in keys]

    return ctx.loader(name, lambda: DataLoader(load, max_batch_size=1000))
