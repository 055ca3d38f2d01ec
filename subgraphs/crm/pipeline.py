"""The tenant's sales pipeline: its stages and configuring them (their order and default
probabilities).

A tenant starts with the default stages. Until something writes to its pipeline (a deal,
a configuration) they are computed, not stored, so reading never writes; the first write
stores them inside its own unit of work. A default stage's id is derived from the tenant
and its position, so the id a client read before the defaults were stored still names
the same stage afterwards.

The whole ordered list is given at once (create, rename, reorder and remove in one
change), so a client never sees or leaves a half-reordered pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import not_found
from shared.validation import Checks
from subgraphs.crm.models import Deal, DealStageChange, PipelineStage

DEFAULT_STAGES = (("Prospecting", 10), ("Qualification", 25), ("Proposal", 50), ("Negotiation", 75))
MAX_STAGES = 20

_DEFAULT_STAGE_IDS = uuid.UUID("96dd9df7-9da9-4f73-be00-9126ec446dfd")


def default_stages(tenant: TenantId) -> list[PipelineStage]:
    """The stages a tenant starts with, as (unsaved) rows with their stable ids."""
    return [
        PipelineStage(
            tenant_id=tenant,
            id=uuid.uuid5(_DEFAULT_STAGE_IDS, f"{tenant}/{position}"),
            name=name,
            position=position,
            probability=probability,
        )
        for position, (name, probability) in enumerate(DEFAULT_STAGES, start=1)
    ]


async def stored_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    stmt = (
        select(PipelineStage)
        .where(PipelineStage.tenant_id == tenant)
        .order_by(PipelineStage.position)
    )
    return list((await session.scalars(stmt)).all())


async def ensure_stages(session: AsyncSession, tenant: TenantId) -> list[PipelineStage]:
    """The tenant's stages in order, storing the defaults first if it has none yet. For
    write paths only: it runs in the caller's unit of work."""
    stages = await stored_stages(session, tenant)
    if stages:
        return stages
    # Two first uses may race; the unique keys let one of them win.
    await session.execute(
        insert(PipelineStage)
        .values(
            [
                {
                    "tenant_id": s.tenant_id,
                    "id": s.id,
                    "name": s.name,
                    "position": s.position,
                    "probability": s.probability,
                }
                for s in default_stages(tenant)
            ]
        )
        .on_conflict_do_nothing()
    )
    return await stored_stages(session, tenant)


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
    current = {s.id: s for s in await ensure_stages(session, tenant)}
    # Serialise concurrent reconfigurations of one tenant's pipeline.
    await session.execute(
        select(PipelineStage.id).where(PipelineStage.tenant_id == tenant).with_for_update()
    )
    c = Checks()
    if not stages:
        c.add("stages", Code.REQUIRED, "A pipeline needs at least one stage")
    if len(stages) > MAX_STAGES:
        c.add("stages", Code.TOO_MANY, f"At most {MAX_STAGES} stages")
    seen: set[str] = set()
    for i, spec in enumerate(stages):
        at = c.at("stages", i)
        name = at.text("name", spec.name, limit=100)
        if name and name.lower() in seen:
            at.add("name", Code.DUPLICATE, "Two stages have this name")
        seen.add(name.lower())
        at.range("probability", spec.probability, 0, 100)
        if spec.id is not None and spec.id not in current:
            at.extend(not_found("id", "pipeline stage"))
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
                    "stages",
                    Code.STAGE_IN_USE,
                    f"Stage {current[sid].name} has deals and cannot be removed",
                )
    c.raise_any()

    # Unique (tenant, position) and (tenant, name): park every kept row on a value no
    # final row uses, then write the final values.
    await session.execute(
        delete(PipelineStage).where(
            PipelineStage.tenant_id == tenant, PipelineStage.id.in_(removed)
        )
    )
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
    return await stored_stages(session, tenant)
