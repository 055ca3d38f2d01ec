"""Sales' dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from shared import batch
from shared.context import RequestContext
from shared.db import TenantId
from shared.loaders import loader
from shared.pagination import Page
from subgraphs.sales import reads
from subgraphs.sales.models import (
    CreditApplication,
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
    TaxRate,
)
from subgraphs.stock import api as stock


def orders(ctx: RequestContext) -> DataLoader[uuid.UUID, SalesOrder | None]:
    return loader(ctx, "sales.orders", lambda s, t, ids: batch.by_id(s, SalesOrder, t, ids))


def lines_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[SalesOrderLine]]:
    return loader(
        ctx,
        "sales.lines_by_order",
        lambda s, t, ids: batch.grouped_by(
            s, SalesOrderLine, t, SalesOrderLine.order_id, ids, order_by=[SalesOrderLine.position]
        ),
        default=list,
    )


def backorders_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, dict[str, Decimal]]:
    """Order id -> {line id as text: open backorder quantity} (stock's claims)."""

    async def load(
        session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, Decimal]]:
        rows = await stock.backordered_by_line(
            session, tenant, demand_type="SalesOrder", demand_ids=ids
        )
        result: dict[uuid.UUID, dict[str, Decimal]] = {}
        for (order_id, line), quantity in rows.items():
            result.setdefault(order_id, {})[line] = quantity
        return result

    return loader(ctx, "sales.backorders_by_order", load, default=dict)


def invoices(ctx: RequestContext) -> DataLoader[uuid.UUID, Invoice | None]:
    return loader(ctx, "sales.invoices", lambda s, t, ids: batch.by_id(s, Invoice, t, ids))


def invoices_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Invoice]]:
    return loader(
        ctx,
        "sales.invoices_by_order",
        lambda s, t, ids: batch.grouped_by(
            s, Invoice, t, Invoice.order_id, ids, order_by=[Invoice.posted_at, Invoice.number]
        ),
        default=list,
    )


def lines_by_invoice(ctx: RequestContext) -> DataLoader[uuid.UUID, list[InvoiceLine]]:
    return loader(ctx, "sales.lines_by_invoice", reads.lines_by_invoice, default=list)


def payments_by_invoice(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Payment]]:
    return loader(
        ctx,
        "sales.payments_by_invoice",
        lambda s, t, ids: batch.grouped_by(
            s, Payment, t, Payment.invoice_id, ids, order_by=[Payment.created_at]
        ),
        default=list,
    )


def applications_by_document(
    ctx: RequestContext,
) -> DataLoader[uuid.UUID, list[CreditApplication]]:
    return loader(
        ctx, "sales.applications_by_document", reads.applications_by_document, default=list
    )


def tax_rates(ctx: RequestContext) -> DataLoader[uuid.UUID, TaxRate | None]:
    return loader(ctx, "sales.tax_rates", lambda s, t, ids: batch.by_id(s, TaxRate, t, ids))


def orders_by_customer(ctx: RequestContext) -> DataLoader[reads.OrdersKey, Page[SalesOrder]]:
    return loader(ctx, "sales.orders_by_customer", reads.orders_by_customer)


def customer_figures(ctx: RequestContext) -> DataLoader[uuid.UUID, reads.CustomerFigures]:
    return loader(
        ctx,
        "sales.customer_figures",
        reads.customer_figures,
        default=lambda: reads.NO_CUSTOMER_FIGURES,
    )


def product_figures(
    ctx: RequestContext,
) -> DataLoader[reads.ProductKey, reads.ProductFigures]:
    return loader(
        ctx,
        "sales.product_figures",
        reads.product_figures,
        default=lambda: reads.NO_PRODUCT_FIGURES,
    )


def base_currency(ctx: RequestContext) -> DataLoader[str, str]:
    return loader(ctx, "sales.base_currency", reads.base_currencies)
