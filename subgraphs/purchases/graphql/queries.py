"""Purchases' queries."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from shared.graphql.ids import parse_id, parse_opt_id, to_id
from shared.graphql.relay import Connection
from shared.graphql.resolvers import context, load_one, read, reference
from shared.graphql.types import Money
from subgraphs.purchases import analytics, policy, prices, reads, replenishment
from subgraphs.purchases.graphql import loaders
from subgraphs.purchases.graphql.inputs import (
    PurchaseOrderFilter,
    PurchaseOrderOrder,
    SupplierFilter,
    SupplierOrder,
    VendorBillFilter,
    direction_is_descending,
)
from subgraphs.purchases.graphql.types import (
    READ,
    Product,
    PurchaseOrder,
    PurchasePolicy,
    Supplier,
    SupplierPrice,
    VendorBill,
    Warehouse,
    money,
    q4,
)
from subgraphs.purchases.orders import today

PurchaseAnalyticsGroupBy = analytics.GroupBy
strawberry.enum(PurchaseAnalyticsGroupBy, name="PurchaseAnalyticsGroupBy")


@strawberry.type(description="What a warehouse still needs once open purchase orders arrive.")
class PurchaseSuggestion:
    product: Product
    warehouse: Warehouse
    available: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    incoming_quantity: Decimal = strawberry.field(description="On open purchase orders.")
    quantity: Decimal = strawberry.field(description="Up to the maximum, before rounding.")
    supplier_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, s: replenishment.PurchaseSuggestion) -> PurchaseSuggestion:
        return cls(
            product=Product(id=to_id(s.product_id)),
            warehouse=Warehouse(id=to_id(s.warehouse_id)),
            available=q4(s.available),
            min_quantity=q4(s.min_quantity),
            max_quantity=q4(s.max_quantity),
            incoming_quantity=q4(s.incoming),
            quantity=q4(s.quantity),
            supplier_id=s.supplier_id,
        )

    @strawberry.field(description="Preferred, else cheapest in base currency; null: none.")
    async def supplier(self, info: Info[Any, Any]) -> Supplier | None:
        return await load_one(info, loaders.suppliers, self.supplier_id, Supplier.from_model)


@strawberry.type(description="Purchases of one supplier, product or month, in base currency.")
class PurchaseAnalyticsBucket:
    key: str = strawberry.field(description="The supplier's or product's id, or the month.")
    spend: Money = strawberry.field(description="Untaxed.")
    quantity: Decimal
    order_count: int
    average_lead_time_days: Decimal | None = strawberry.field(
        description="Order date to receipt, over receipt lines; null: nothing received."
    )
    price_variance: Money = strawberry.field(
        description="Paid above (below, negative) the supplier's list price."
    )
    price_variance_percent: Decimal | None
    group_by: strawberry.Private[analytics.GroupBy]

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Supplier | None:
        if self.group_by != analytics.GroupBy.SUPPLIER:
            return None
        return await load_one(info, loaders.suppliers, parse_id(self.key), Supplier.from_model)

    @strawberry.field
    def product(self) -> Product | None:
        is_product = self.group_by == analytics.GroupBy.PRODUCT
        return Product(id=strawberry.ID(self.key)) if is_product else None

    @strawberry.field(description="The month's first day when grouped by period.")
    def period(self) -> dt.date | None:
        is_period = self.group_by == analytics.GroupBy.PERIOD
        return dt.date.fromisoformat(self.key) if is_period else None


@strawberry.type
class Query:
    @strawberry.field
    async def supplier(self, info: Info[Any, Any], id: strawberry.ID) -> Supplier | None:
        return await reference(info, READ, loaders.suppliers, id, Supplier.from_model)

    @strawberry.field
    async def suppliers(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: SupplierFilter | None = None,
        order_by: SupplierOrder | None = None,
    ) -> Connection[Supplier]:
        wanted = (filter or SupplierFilter()).to_filter()
        order = order_by or SupplierOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_suppliers(
                s,
                t,
                filter=wanted,
                order_by=order.field,
                descending=direction_is_descending(order.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, Supplier.from_model)

    @strawberry.field(
        description="The best valid price for a quantity on a day (default today), of one "
        "supplier or of any in `currency` (default: base currency)."
    )
    async def best_supplier_price(
        self,
        info: Info[Any, Any],
        product_id: strawberry.ID,
        quantity: Decimal,
        date: dt.date | None = None,
        supplier_id: strawberry.ID | None = None,
        currency: str | None = None,
    ) -> SupplierPrice | None:
        found = await read(
            info,
            READ,
            lambda s, t: prices.best_supplier_price(
                s,
                t,
                product_id=parse_id(product_id),
                quantity=quantity,
                on=date or today(),
                supplier_id=parse_opt_id(supplier_id),
                currency=currency,
            ),
        )
        return None if found is None else SupplierPrice.from_model(found)

    @strawberry.field
    async def purchase_order(self, info: Info[Any, Any], id: strawberry.ID) -> PurchaseOrder | None:
        return await reference(info, READ, loaders.orders, id, PurchaseOrder.from_model)

    @strawberry.field(description="Newest order date first unless `orderBy` says otherwise.")
    async def purchase_orders(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: PurchaseOrderFilter | None = None,
        order_by: PurchaseOrderOrder | None = None,
    ) -> Connection[PurchaseOrder]:
        wanted = (filter or PurchaseOrderFilter()).to_filter()
        order = order_by or PurchaseOrderOrder()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_orders(
                s,
                t,
                filter=wanted,
                order_by=order.field,
                descending=direction_is_descending(order.direction),
                first=first,
                after=after,
            ),
        )
        return Connection.of(page, PurchaseOrder.from_model)

    @strawberry.field
    async def vendor_bill(self, info: Info[Any, Any], id: strawberry.ID) -> VendorBill | None:
        return await reference(info, READ, loaders.bills, id, VendorBill.from_model)

    @strawberry.field(description="Soonest due first.")
    async def vendor_bills(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: VendorBillFilter | None = None,
    ) -> Connection[VendorBill]:
        wanted = (filter or VendorBillFilter()).to_filter()
        page = await read(
            info,
            READ,
            lambda s, t: reads.list_bills(s, t, filter=wanted, first=first, after=after),
        )
        return Connection.of(page, VendorBill.from_model)

    @strawberry.field
    async def purchase_policy(self, info: Info[Any, Any]) -> PurchasePolicy:
        found = await read(info, READ, policy.get_policy)
        return PurchasePolicy.of(found)

    @strawberry.field(
        description="Stock's replenishment suggestions less what open purchase orders bring."
    )
    async def purchase_suggestions(
        self, info: Info[Any, Any], warehouse_id: strawberry.ID | None = None
    ) -> list[PurchaseSuggestion]:
        found = await read(
            info,
            READ,
            lambda s, t: replenishment.purchase_suggestions(
                s, t, warehouse_id=parse_opt_id(warehouse_id)
            ),
        )
        return [PurchaseSuggestion.of(x) for x in found]

    @strawberry.field(description="Confirmed orders dated in the period, aggregated in SQL.")
    async def purchase_analytics(
        self,
        info: Info[Any, Any],
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
        group_by: PurchaseAnalyticsGroupBy,
    ) -> list[PurchaseAnalyticsBucket]:
        buckets = await read(
            info,
            READ,
            lambda s, t: analytics.purchase_analytics(s, t, start=from_, end=to, group_by=group_by),
        )
        base: str = await loaders.base_currencies(context(info)).load(reads.BASE)
        return [
            PurchaseAnalyticsBucket(
                key=b.key,
                spend=money(b.spend, base),
                quantity=q4(b.quantity),
                order_count=b.order_count,
                average_lead_time_days=b.average_lead_time_days,
                price_variance=money(b.price_variance, base),
                price_variance_percent=b.price_variance_percent,
                group_by=group_by,
            )
            for b in buckets
        ]
