"""CRM's dataloaders: the request's single instance of each, batching every load of a
tick into one statement."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.batch import by_id, grouped_by
from shared.context import RequestContext
from shared.db import TenantId
from shared.loaders import loader
from subgraphs.crm import reads
from subgraphs.crm.models import Contact, Customer, Deal, DealStageChange, Lead, PipelineStage


def customers(ctx: RequestContext) -> DataLoader[uuid.UUID, Customer | None]:
    return loader(ctx, "crm.customers", lambda s, t, ids: by_id(s, Customer, t, ids))


def contacts(ctx: RequestContext) -> DataLoader[uuid.UUID, Contact | None]:
    return loader(ctx, "crm.contacts", lambda s, t, ids: by_id(s, Contact, t, ids))


def contacts_by_customer(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Contact]]:
    return loader(
        ctx,
        "crm.contacts_by_customer",
        lambda s, t, ids: grouped_by(
            s,
            Contact,
            t,
            Contact.customer_id,
            ids,
            order_by=(Contact.is_primary.desc(), Contact.name, Contact.id),
        ),
        default=list,
    )


def deals(ctx: RequestContext) -> DataLoader[uuid.UUID, Deal | None]:
    return loader(ctx, "crm.deals", lambda s, t, ids: by_id(s, Deal, t, ids))


def deals_by_customer(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Deal]]:
    return loader(
        ctx,
        "crm.deals_by_customer",
        lambda s, t, ids: grouped_by(
            s, Deal, t, Deal.customer_id, ids, order_by=(Deal.created_at.desc(), Deal.id)
        ),
        default=list,
    )


def history_by_deal(ctx: RequestContext) -> DataLoader[uuid.UUID, list[DealStageChange]]:
    return loader(
        ctx,
        "crm.history_by_deal",
        lambda s, t, ids: grouped_by(
            s,
            DealStageChange,
            t,
            DealStageChange.deal_id,
            ids,
            order_by=(DealStageChange.changed_at, DealStageChange.id),
        ),
        default=list,
    )


def leads(ctx: RequestContext) -> DataLoader[uuid.UUID, Lead | None]:
    return loader(ctx, "crm.leads", lambda s, t, ids: by_id(s, Lead, t, ids))


def stages(ctx: RequestContext) -> DataLoader[uuid.UUID, PipelineStage | None]:
    return loader(ctx, "crm.stages", lambda s, t, ids: by_id(s, PipelineStage, t, ids))


def base_currency(ctx: RequestContext) -> DataLoader[TenantId, str | None]:
    """The base currency of a tenant, by its id (only the caller's own is answered)."""
    return loader(ctx, "crm.base_currency", reads.base_currencies)
