"""The tenant's sales pipeline: its stages (the defaults are created on first use) and
configuring them: their order and default probabilities.

The whole ordered list is given at once (create, rename, reorder and remove in one
change), so a client never sees or leaves a half-reordered pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database, TenantId
from subgraphs.crm.checks import Checks, by_id
from subgraphs.crm.models import Deal, DealStageChange, PipelineStage

DEFAULT_STAGES = (("Prospecting", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75))
MAX_STAGES = 20


async def list_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    stmt = (
        select(PipelineStage)
        .where(PipelineStage.tenant_id == tenant)
        .order_by(PipelineStage.position)
    )
    return list((await session.scalars(stmt)).all())


async def pipeline_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    """The tenant's stages in order; the defaults are created on first use."""
    stages = await list_stages(session, tenant)
    if stages:
        return stages
    # Two first uses may race; the unique (tenant_id, position) lets one of them win.
    await session.execute(
        insert(PipelineStage)
        .values(
            [
                {
                    "tenant_id": tenant,
                    "id": uuid.uuid4(),
                    "name": n,
                    "position": i + 1,
                    "probability": p,
                }
                for i, (n, p) in enumerate(DEFAULT_STAGES)
            ]
        )
        .on_conflict_do_nothing()
    )
    return await list_stages(session, tenant)


async def ensure_default_stages(db: Database, tenant: TenantId) -> list[PipelineStage]:
    async with db.transaction(tenant) as session:
        return await pipeline_stages(session, tenant)


async def stages_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PipelineStage]:
    rows = await session.scalars(
        select(PipelineStage).where(PipelineStage.tenant_id == tenant, PipelineStage.id.in_(ids))
    )
    return by_id(rows.all())


@dataclass(frozen=True, slots=True)
class StageSpec:
    id: uuid.UUID | None
    name: str
    probability: int


async def configure_pipeline(
    session: AsyncSession, tenant: TenantId, *, stages: Sequence[StageSpec]
) -> list[PipelineStage]:
    """Make the pipeline exactly `stages`, in that order. Stages with an id are kept
    (renamed, moved, re-weighted); new ones are created; stages left out are removed,
    which is refused while any deal or stage history refers to them."""
    current = {s.id: s for s in await pipeline_stages(session, tenant)}
    # Serialise concurrent reconfigurations of one tenant's pipeline.
    await session.execute(
        select(PipelineStage.id).where(PipelineStage.tenant_id == tenant).with_for_update()
    )
    c = Checks()
    if not stages:
        c.add("input.stages", "REQUIRED", "A pipeline needs at least one stage")
    if len(stages) > MAX_STAGES:
        c.add("input.stages", "TOO_MANY", f"At most {MAX_STAGES} stages")
    seen: set[str] = set()
    for i, spec in enumerate(stages):
        field = f"input.stages.{i}"
        name = c.text(f"{field}.name", spec.name, limit=100)
        if name and name.lower() in seen:
            c.add(f"{field}.name", "DUPLICATE", "Two stages have this name")
        seen.add(name.lower())
        if not 0 <= spec.probability <= 100:
            c.add(f"{field}.probability", "OUT_OF_RANGE", "Between 0 and 100")
        if spec.id is not None and spec.id not in current:
            c.add(f"{field}.id", "NOT_FOUND", "No such stage")
    kept = {s.id for s in stages if s.id is not None}
    removed = [sid for sid in current if sid not in kept]
    if removed:
        in_use = set(
            (
                await session.scalars(
                    select(Deal.stage_id).where(
                        Deal.tenant_id == tenant, Deal.stage_id.in_(removed)
                    )
                )
            ).all()
        ) | set(
            (
                await session.scalars(
                    select(DealStageChange.to_stage_id).where(
                        DealStageChange.tenant_id == tenant,
                        or_(
                            DealStageChange.to_stage_id.in_(removed),
                            DealStageChange.from_stage_id.in_(removed),
                        ),
                    )
                )
            ).all()
        )
        for sid in removed:
            if sid in in_use:
                c.add(
                    "input.stages",
                    "STAGE_IN_USE",
                    f"Stage {current[sid].name} has deals and cannot be removed",
                )
    c.raise_any()

    # Unique (tenant, position) and (tenant, name): park every kept row on a value no
    # final row uses, then write the final values.
    await session.execute(delete(PipelineStage).where(PipelineStage.id.in_(removed)))
    for sid in kept:
        await session.execute(
            update(PipelineStage)
            .where(PipelineStage.tenant_id == tenant, PipelineStage.id == sid)
            .values(position=-current[sid].position, name=f"~{sid}")
        )
    for position, spec in enumerate(stages, start=1):
        values = {"name": spec.name.strip(), "position": position, "probability": spec.probability}
        if spec.id is None:
            session.add(PipelineStage(tenant_id=tenant, id=uuid.uuid4(), **values))
        else:
            await session.execute(
                update(PipelineStage)
                .where(PipelineStage.tenant_id == tenant, PipelineStage.id == spec.id)
                .values(**values)
            )
    await session.flush()
    session.expire_all()
    return await list_stages(session, tenant)
