"""Identity's dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.identity import reads
from subgraphs.identity.models import Role, Tenant, User


def users(ctx: RequestContext) -> DataLoader[uuid.UUID, User | None]:
    return loader(ctx, "identity.users", reads.users_by_id)


def roles_by_user(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Role]]:
    return loader(ctx, "identity.roles_by_user", reads.roles_by_user, default=list)


def tenants(ctx: RequestContext) -> DataLoader[uuid.UUID, Tenant | None]:
    return loader(ctx, "identity.tenants", reads.tenants_by_id)
