"""Sales' dataloaders: one per key, cached per request."""

from __future__ import annotations

import uuid

from aiodataloader import DataLoader

from shared.context import RequestContext
from shared.loaders import loader
from shared.pagination import Page
from subgraphs.sales import analytics
from subgraphs.sales.models import (
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
    TaxRate,
)


def orders(ctx: RequestContext) -> DataLoader[uuid.UUID, SalesOrder | None]:
    return loader(ctx, "sales.orders", analytics.orders_by_id)


def lines_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[SalesOrderLine]]:
    return loader(ctx, "sales.lines_by_order", analytics.lines_by_order, default=list)


def invoices(ctx: RequestContext) -> DataLoader[uuid.UUID, Invoice | None]:
    return loader(ctx, "sales.invoices", analytics.invoices_by_id)


def invoices_by_order(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Invoice]]:
    return loader(ctx, "sales.invoices_by_order", analytics.invoices_by_order, default=list)


def lines_by_invoice(ctx: RequestContext) -> DataLoader[uuid.UUID, list[InvoiceLine]]:
    return loader(ctx, "sales.lines_by_invoice", analytics.lines_by_invoice, default=list)


def payments_by_invoice(ctx: RequestContext) -> DataLoader[uuid.UUID, list[Payment]]:
    return loader(ctx, "sales.payments_by_invoice", analytics.payments_by_invoice, default=list)


def tax_rates(ctx: RequestContext) -> DataLoader[uuid.UUID, TaxRate | None]:
    return loader(ctx, "sales.tax_rates", analytics.tax_rates_by_id)


def orders_by_customer(
    ctx: RequestContext,
) -> DataLoader[analytics.OrdersKey, Page[SalesOrder]]:
    return loader(ctx, "sales.orders_by_customer", analytics.orders_by_customer)


def customer_figures(
    ctx: RequestContext,
) -> DataLoader[uuid.UUID, analytics.CustomerFigures | None]:
    return loader(ctx, "sales.customer_figures", analytics.customer_figures)


def product_figures(
    ctx: RequestContext,
) -> DataLoader[analytics.ProductKey, analytics.ProductFigures | None]:
    return loader(ctx, "sales.product_figures", analytics.product_figures)


def base_currency(ctx: RequestContext) -> DataLoader[str, str]:
    return loader(ctx, "sales.base_currency", analytics.base_currencies)
