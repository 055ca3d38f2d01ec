"""Stock's GraphQL input types and their conversion to the services' arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum

import strawberry

from shared.graphql.ids import parse_id, parse_opt_id
from shared.graphql.types import SortDirection
from subgraphs.stock import reads
from subgraphs.stock.ledger import CountLine
from subgraphs.stock.models import LocationKind, MoveState, ProductType
from subgraphs.stock.products import ProductFields
from subgraphs.stock.reads import ProductSort
from subgraphs.stock.receipts import ReceiptLine

strawberry.enum(ProductSort, name="ProductOrderField")


@strawberry.enum
class OrderDirection(Enum):
    """Stock's own sort direction from before `SortDirection`; kept while
    `ProductOrder.direction` is deprecated."""

    ASC = "ASC"
    DESC = "DESC"


# --- queries ------------------------------------------------------------------------


@strawberry.input
class ProductOrder:
    field: ProductSort = ProductSort.SKU
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, deprecation_reason="Use sortDirection."
    )
    sort_direction: SortDirection | None = None

    def descending(self) -> bool:
        """`sortDirection` when given, else the deprecated `direction`."""
        if self.sort_direction is not None:
            return self.sort_direction is SortDirection.DESC
        return self.direction is OrderDirection.DESC


@strawberry.input
class ProductFilter:
    search: str | None = None
    category: str | None = None
    type: ProductType | None = None
    low_stock: bool | None = None
    active: bool | None = True

    def to_filter(self) -> reads.ProductFilter:
        return reads.ProductFilter(
            search=self.search,
            category=self.category,
            type=self.type,
            low_stock=self.low_stock,
            active=self.active,
        )


@strawberry.input
class StockMoveFilter:
    product_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    source_type: str | None = None
    source_id: strawberry.ID | None = None
    state: MoveState | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None

    def to_filter(self) -> reads.MoveFilter:
        return reads.MoveFilter(
            product_id=parse_opt_id(self.product_id),
            location_id=parse_opt_id(self.location_id),
            source_type=self.source_type,
            source_id=parse_opt_id(self.source_id),
            state=self.state,
            done_from=self.created_from,
            done_to=self.created_to,
        )


# --- mutations ----------------------------------------------------------------------


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    description: str = ""
    type: ProductType = ProductType.STOCKABLE
    uom: str = "unit"
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal = Decimal(0)

    def to_fields(self) -> ProductFields:
        return ProductFields(
            sku=self.sku,
            name=self.name,
            description=self.description,
            type=self.type,
            uom=self.uom,
            category=self.category,
            barcode=self.barcode,
            sales_price=self.sales_price,
        )


@strawberry.input
class UpdateProductInput:
    id: strawberry.ID
    sku: str | None = None
    name: str | None = None
    description: str | None = None
    type: ProductType | None = None
    uom: str | None = None
    category: str | None = None
    barcode: str | None = None
    sales_price: Decimal | None = None

    def to_fields(self) -> ProductFields:
        return ProductFields(
            sku=self.sku,
            name=self.name,
            description=self.description,
            type=self.type,
            uom=self.uom,
            category=self.category,
            barcode=self.barcode,
            sales_price=self.sales_price,
        )


@strawberry.input
class ArchiveProductInput:
    id: strawberry.ID


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    address: str = ""


@strawberry.input
class TransferStockInput:
    product_id: strawberry.ID
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    quantity: Decimal


@strawberry.input
class CountLineInput:
    product_id: strawberry.ID
    counted_quantity: Decimal
    unit_cost: Decimal | None = strawberry.field(
        default=None,
        description="For an opening balance: when the count is above what is on hand, the "
        "difference enters at this unit cost (base currency) and averages into the "
        "product's cost like a receipt. Without it, the difference is posted at the current "
        "average cost, which stays as it is; a decrease always leaves at the average.",
    )

    def to_line(self) -> CountLine:
        return CountLine(parse_id(self.product_id), self.counted_quantity, self.unit_cost)


@strawberry.input
class AdjustInventoryInput:
    location_id: strawberry.ID
    lines: list[CountLineInput]
    reason: str | None = strawberry.field(
        default=None,
        description='Why the count differs (e.g. "annual count", "damaged"): stored on '
        "every move it posts.",
    )


@strawberry.input
class ReceiveStockLineInput:
    product_id: strawberry.ID
    quantity: Decimal
    unit_cost: Decimal = strawberry.field(
        description="Per unit, in the base currency; averages into the product's cost."
    )

    def to_line(self) -> ReceiptLine:
        return ReceiptLine(parse_id(self.product_id), self.quantity, self.unit_cost)


@strawberry.input
class ReceiveStockInput:
    warehouse_id: strawberry.ID
    reference: str = strawberry.field(description="The supplier's delivery note or similar.")
    lines: list[ReceiveStockLineInput]
    location_kind: LocationKind = strawberry.field(
        default=LocationKind.STOCK,
        description="Where in the warehouse the goods arrive: STOCK (available at once), "
        "INPUT (to put away) or QUALITY (to inspect); the last two are on hand and valued "
        "but not available until moved to STOCK.",
    )


@strawberry.input
class SetReorderRuleInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    min_quantity: Decimal
    max_quantity: Decimal
