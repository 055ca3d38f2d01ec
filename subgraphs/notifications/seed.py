"""Notifications demo data for `nexo seed --demo`: the shipped rules (idempotent; the
worker would install them on its first pass anyway)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.notifications.rules import install_defaults


async def seed_demo(session: AsyncSession, tenant: TenantId) -> None:
    await install_defaults(session, tenant)
