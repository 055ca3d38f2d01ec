"""CRM's dataloaders."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.context import RequestContext
from shared.loaders import loader
from subgraphs.crm import deals as deal_service
from subgraphs.crm import leads as lead_service
from subgraphs.crm import pipeline, service
from subgraphs.crm.models import Contact, Customer, Deal, DealStageChange, Lead, PipelineStage


def customers(ctx: RequestContext) -> DataLoader[uuid.UUID, Customer | None]:
    return loader(ctx, "crm.customers", service.customers_by_id)


def contacts(ctx: RequestContext) -> DataLoader[uuid.UUID, Contact | None]:
    return loader(ctx, "crm.contacts", service.contacts_by_id)


def contacts_by_customer(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Contact]]:
    return loader(ctx, "crm.contacts_by_customer", service.contacts_by_customer, default=list)


def deals(ctx: RequestContext) -> DataLoader[uuid.UUID, Deal | None]:
    return loader(ctx, "crm.deals", deal_service.deals_by_id)


def deals_by_customer(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Deal]]:
    return loader(ctx, "crm.deals_by_customer", deal_service.deals_by_customer, default=list)


def history_by_deal(ctx: RequestContext) -> DataLoader[uuid.UUID, list[DealStageChange]]:
    return loader(ctx, "crm.history_by_deal", deal_service.history_by_deal, default=list)


def leads(ctx: RequestContext) -> DataLoader[uuid.UUID, Lead | None]:
    return loader(ctx, "crm.leads", lead_service.leads_by_id)


def stages(ctx: RequestContext) -> DataLoader[uuid.UUID, PipelineStage | None]:
    return loader(ctx, "crm.stages", pipeline.stages_by_id)
