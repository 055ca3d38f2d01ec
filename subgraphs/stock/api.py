"""Stock's surface for other domains (and their seeds, tests, the CLI): the only module
they import. Everything runs inside the caller's transaction; problems carry paths
relative to each function's own arguments (`lines.0.quantity`, `warehouseId`), which the
caller re-roots with `InvalidInput.under`.

- moves: `reserve`, `release`, `deliver`, `consume`, `receive`, `return_from_customer`,
  `produce`, `transfer`, `adjust` with their line types; `revalue` changes the average
  cost of what is on hand (price differences, landed costs); `InsufficientStock` names every
  shortfall (`.shortfalls`) and nothing was written; `reserve(backorder=True)` leaves
  what is not free as open claims (`Allocation`), reserved oldest first when stock
  arrives; `reserved_by_line` / `backordered_by_line` read them per demand line;
- receipts without a purchase order (`receive_stock`, `ReceiptLine`);
- catalogue and sites: products, warehouses, their STOCK location and any internal location
  by kind (`location_of_kind`: where a return goes by its condition — STOCK is sellable,
  QUALITY on hand but not available, SCRAP written off and out of valuation);
- reads and batch look-ups; `verify_levels` behind `nexo stock verify`;
- the states and kinds (`ProductType`, `LocationKind`, ...) and the events stock emits.
"""

from __future__ import annotations

from subgraphs.stock.claims import backordered_by_line, reserved_by_line
from subgraphs.stock.events import StockEvent
from subgraphs.stock.ledger import (
    CountLine,
    DemandLine,
    DocumentRef,
    InsufficientStock,
    Shortfall,
    SupplyLine,
)
from subgraphs.stock.models import (
    SELLABLE_KINDS,
    VALUED_KINDS,
    AlertStatus,
    LocationKind,
    MoveState,
    ProductType,
)
from subgraphs.stock.operations import (
    adjust,
    consume,
    deliver,
    produce,
    receive,
    release,
    reserve,
    return_from_customer,
    revalue,
    transfer,
)
from subgraphs.stock.products import (
    ProductFields,
    archive_product,
    create_product,
    update_product,
)
from subgraphs.stock.reads import (
    LevelRow,
    MoveFilter,
    ProductFilter,
    ProductSort,
    Suggestion,
    ValuationLine,
    levels_by_product,
    list_alerts,
    list_moves,
    list_products,
    list_warehouses,
    locations_by_warehouse,
    product,
    products_by_id,
    replenishment_suggestions,
    stock_valuation,
    warehouse,
    warehouses_by_id,
)
from subgraphs.stock.receipts import ReceiptLine, receive_stock
from subgraphs.stock.replenishment import set_reorder_rule
from subgraphs.stock.reserving import Allocation
from subgraphs.stock.verify import LevelDifference, verify_levels
from subgraphs.stock.warehouses import (
    create_warehouse,
    location_of_kind,
    stock_location,
    virtual_location,
)

__all__ = [
    "SELLABLE_KINDS",
    "VALUED_KINDS",
    "AlertStatus",
    "Allocation",
    "CountLine",
    "DemandLine",
    "DocumentRef",
    "InsufficientStock",
    "LevelDifference",
    "LevelRow",
    "LocationKind",
    "MoveFilter",
    "MoveState",
    "ProductFields",
    "ProductFilter",
    "ProductSort",
    "ProductType",
    "ReceiptLine",
    "Shortfall",
    "StockEvent",
    "Suggestion",
    "SupplyLine",
    "ValuationLine",
    "adjust",
    "archive_product",
    "backordered_by_line",
    "consume",
    "create_product",
    "create_warehouse",
    "deliver",
    "levels_by_product",
    "list_alerts",
    "list_moves",
    "list_products",
    "list_warehouses",
    "location_of_kind",
    "locations_by_warehouse",
    "produce",
    "product",
    "products_by_id",
    "receive",
    "receive_stock",
    "release",
    "replenishment_suggestions",
    "reserve",
    "reserved_by_line",
    "return_from_customer",
    "revalue",
    "set_reorder_rule",
    "stock_location",
    "stock_valuation",
    "transfer",
    "update_product",
    "verify_levels",
    "virtual_location",
    "warehouse",
    "warehouses_by_id",
]
