"""Production's surface for other domains (notifications renders its events), seeds, the
CLI and tests: bills of materials and work centers, production orders through their
life cycle, work orders, quality checks, and the figures computed on BOMs (explosion,
buildable quantity). Implementation lives in the rule and read modules listed here."""

from __future__ import annotations

from subgraphs.production.boms import (
    BomInput,
    ByProductInput,
    ComponentInput,
    OperationInput,
    activate_bom,
    create_bom,
    deactivate_bom,
)
from subgraphs.production.completion import Consumption, complete_order, unbuild_order
from subgraphs.production.events import ProductionEvent
from subgraphs.production.explosion import Requirement
from subgraphs.production.models import (
    BillOfMaterials,
    BomKind,
    CheckKind,
    OrderStatus,
    ProductionOrder,
    WorkOrder,
    WorkOrderStatus,
)
from subgraphs.production.orders import cancel_order, confirm_order, create_order, get_order
from subgraphs.production.quality import Recorded, create_template, record_check
from subgraphs.production.reads import (
    Explosion,
    OrderFilter,
    bom_explosion,
    buildable_quantities,
    list_orders,
    orders_by_id,
)
from subgraphs.production.workcenters import create_work_center, update_work_center
from subgraphs.production.workorders import finish_work_order, start_work_order

__all__ = [
    "BillOfMaterials",
    "BomInput",
    "BomKind",
    "ByProductInput",
    "CheckKind",
    "ComponentInput",
    "Consumption",
    "Explosion",
    "OperationInput",
    "OrderFilter",
    "OrderStatus",
    "ProductionEvent",
    "ProductionOrder",
    "Recorded",
    "Requirement",
    "WorkOrder",
    "WorkOrderStatus",
    "activate_bom",
    "bom_explosion",
    "buildable_quantities",
    "cancel_order",
    "complete_order",
    "confirm_order",
    "create_bom",
    "create_order",
    "create_template",
    "create_work_center",
    "deactivate_bom",
    "finish_work_order",
    "get_order",
    "list_orders",
    "orders_by_id",
    "record_check",
    "start_work_order",
    "unbuild_order",
    "update_work_center",
]
